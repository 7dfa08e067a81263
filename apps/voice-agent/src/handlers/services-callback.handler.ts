import { Injectable } from '@nestjs/common';
import { companyCountry, normalisePhone, validateName } from '../drafts/draft-fields';
import { BookingDesk } from './booking-desk';
import { CallContext, VoiceFunctionReply, fail, ok } from './context';
import { phrases } from './phrases';

/** list_services (get_available_services) and request_callback. */
@Injectable()
export class ServicesAndCallbackHandler {
  constructor(private readonly desk: BookingDesk) {}

  async listServices(ctx: CallContext): Promise<VoiceFunctionReply> {
    const catalogue = await this.desk.catalogue(ctx);
    const services = catalogue.services.map((s) => ({ serviceId: s.serviceId, key: s.key, name: s.name, durationMinutes: s.durationMinutes }));
    return ok(phrases.servicesList(ctx, services.map((s) => s.name)), { services });
  }

  /** The caller asks to be called back: recorded durably, handed to booking (booking.callback-requested). */
  async requestCallback(ctx: CallContext): Promise<VoiceFunctionReply> {
    const { args } = ctx;
    let phone = ctx.from;
    if (args.phone !== undefined) {
      const r = normalisePhone(args.phone, companyCountry(ctx.company, ctx.to));
      if (!r.ok) return fail('invalid_phone', phrases.invalidPhone(ctx));
      phone = r.value;
    }
    if (!phone) return fail('missing_fields', phrases.ask(ctx, 'phone'), { missing: ['phone'] });
    const name = args.name !== undefined ? validateName(args.name) : null;
    if (name && !name.ok) return fail('empty_name', phrases.emptyName(ctx));
    const wish = [args.reason, args.notes, args.service, args.date, args.time].filter(Boolean).join(' · ') || 'Rückruf erbeten';
    const id = await this.desk.recordCallback(ctx, { name: name?.ok ? name.value : null, phone }, wish, 'other');
    return ok(phrases.callbackRecorded(ctx), { callbackRecorded: true, callbackWishId: id });
  }
}
