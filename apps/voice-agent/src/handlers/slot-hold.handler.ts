import { Injectable } from '@nestjs/common';
import { isoInZone } from '@receptionist/dates';
import { readAlternatives } from '../booking/booking-data';
import { Answer, BookingDesk, BookingRefusal } from './booking-desk';
import { callerPhrases } from './caller-phrases';
import { CallContext, VoiceFunctionReply, fail, ok } from './context';
import { phrases } from './phrases';

/**
 * reserve_slot / release_slot_reservation: the call holds one exact start for a few minutes while the caller
 * decides (booking keeps the hold; other calls neither see nor book it) and lets it go again. The hold ends by
 * itself when the call books, ends, or after five minutes.
 */
@Injectable()
export class SlotHoldHandler {
  constructor(private readonly desk: BookingDesk) {}

  async reserve(ctx: CallContext): Promise<VoiceFunctionReply> {
    const { args } = ctx;
    if (!ctx.callId) return fail('no_call_context', phrases.noCallContext(ctx));
    const { parsed, said } = this.desk.when(ctx, args.date, args.time, args.datetime);
    const catalogue = await this.desk.catalogue(ctx);
    const wish = this.desk.wish(ctx, parsed, said, catalogue);
    if (wish.kind !== 'exact') return fail('missing_fields', callerPhrases.needsExactTime(ctx), { missing: wish.kind === 'any' ? ['date', 'time'] : ['time'] });
    const service = this.desk.service(ctx, catalogue, args.service);
    const staffId = this.desk.staff(ctx, catalogue, args.staff, service);
    const reply = await this.desk.guard(ctx, () =>
      this.desk.booking.ask(
        { operation: 'slot.hold', companyId: ctx.company.id, callId: ctx.callId!, serviceId: service.serviceId, staffId, start: wish.start.toISOString() },
        ctx.deadline,
      ),
    );
    if (!reply.ok) {
      if (reply.code === 'slot_taken') {
        const options = readAlternatives(reply.data).filter((d) => d.getTime() > ctx.now.instant.getTime()).slice(0, 3);
        return fail('slot_taken', phrases.slotTaken(ctx, options), { held: false, options: this.desk.optionsData(ctx, options) });
      }
      if (reply.code === 'calendar_unavailable') throw new Answer(await this.desk.calendarFallback(ctx, `${service.name}: ${isoInZone(wish.start, ctx.company.timeZone)}`));
      throw new Answer(this.desk.refusal(ctx, reply.code, reply.data));
    }
    return ok(callerPhrases.held(ctx, wish.start), {
      held: true,
      serviceId: service.serviceId,
      serviceName: service.name,
      start: isoInZone(wish.start, ctx.company.timeZone),
      expiresAt: reply.data?.expiresAt ?? null,
    });
  }

  async release(ctx: CallContext): Promise<VoiceFunctionReply> {
    if (!ctx.callId) return fail('no_call_context', phrases.noCallContext(ctx));
    const { args } = ctx;
    // A start named: only that hold; otherwise every hold of this call.
    const named = args.date || args.time || args.datetime ? this.desk.when(ctx, args.date, args.time, args.datetime) : null;
    let start: Date | undefined;
    if (named?.parsed.date && named.parsed.time) {
      const wish = this.desk.wish(ctx, named.parsed, named.said);
      if (wish.kind === 'exact') start = wish.start;
    }
    const reply = await this.desk.guard(ctx, async () => {
      const r = await this.desk.booking.ask({ operation: 'slot.release', companyId: ctx.company.id, callId: ctx.callId!, ...(start ? { start: start.toISOString() } : {}) }, ctx.deadline);
      if (!r.ok) throw new BookingRefusal(r.code, r.data);
      return r;
    });
    const released = Number(reply.data?.released ?? 0);
    return ok(released ? callerPhrases.released(ctx) : callerPhrases.nothingHeld(ctx), { released });
  }
}
