import { Injectable } from '@nestjs/common';
import { isoInZone } from '@receptionist/dates';
import { CatalogueCache } from '../booking/catalogue';
import { companyCountry, normalisePhone, validateName } from '../drafts/draft-fields';
import { BookingDesk } from './booking-desk';
import { handoffPhrases } from './caller-phrases';
import { CallContext, VoiceFunctionReply, fail, ok } from './context';
import { nextStaffed, staffedNow } from './handoff';
import { phrases } from './phrases';

/**
 * transfer_to_human: the number of the call's branch staffed right now, for Retell's transfer tool (`data.number`,
 * also `{{transfer_number}}` from initialize_call); outside staffed hours the caller's wish for a call back is
 * recorded (reason `handoff`) and the agent says when someone will call. Both appear on the call record (the
 * function's code `transfer` / `callback_recorded`, and `handoff` in the call's detail).
 */
@Injectable()
export class HandoffHandler {
  constructor(
    private readonly desk: BookingDesk,
    private readonly catalogues: CatalogueCache,
  ) {}

  async transfer(ctx: CallContext): Promise<VoiceFunctionReply> {
    const catalogue = await this.catalogues.get(ctx.company.id, ctx.deadline).catch(() => null);
    const target = staffedNow(catalogue, ctx.company.branchId, ctx.now, ctx.company.timeZone);
    if (target) return ok(handoffPhrases.transferring(ctx, target.label), { transfer: true, number: target.number, label: target.label }, 'transfer');

    let phone = ctx.from;
    if (ctx.args.phone !== undefined) {
      const r = normalisePhone(ctx.args.phone, companyCountry(ctx.company, ctx.to));
      if (!r.ok) return fail('invalid_phone', phrases.invalidPhone(ctx));
      phone = r.value;
    }
    if (!phone) return fail('missing_fields', phrases.ask(ctx, 'phone'), { transfer: false, missing: ['phone'] });
    const name = ctx.args.name !== undefined ? validateName(ctx.args.name) : null;
    const at = nextStaffed(catalogue, ctx.company.branchId, ctx.now, ctx.company.timeZone);
    const wish = ['Möchte mit einem Mitarbeiter sprechen', ctx.args.reason, ctx.args.notes].filter(Boolean).join(' · ');
    const id = await this.desk.recordCallback(ctx, { name: name?.ok ? name.value : null, phone }, wish, 'handoff');
    return ok(handoffPhrases.callbackLater(ctx, at), { transfer: false, callbackRecorded: true, callbackWishId: id, callbackFrom: at ? isoInZone(at, ctx.company.timeZone) : null }, 'callback_recorded');
  }
}
