import { Injectable } from '@nestjs/common';
import { isoDate, isoInZone, openAt } from '@receptionist/dates';
import { BookingDesk, describeArgs, openingHoursOf } from './booking-desk';
import { CallContext, VoiceFunctionReply, ok } from './context';
import { phrases } from './phrases';

/**
 * check_availability (also get_alternatives, find_next_available): from a service and a day, a range, a time
 * of day or nothing at all, up to three concrete options; when the wished time is taken, the nearest
 * alternatives. Checking changes nothing.
 */
@Injectable()
export class CheckAvailabilityHandler {
  constructor(private readonly desk: BookingDesk) {}

  async handle(ctx: CallContext): Promise<VoiceFunctionReply> {
    const { args } = ctx;
    const { parsed, said } = this.desk.when(ctx, args.date, args.time, args.datetime);
    const catalogue = await this.desk.catalogue(ctx);
    const wish = this.desk.wish(ctx, parsed, said, catalogue);
    const service = this.desk.service(ctx, catalogue, args.service);
    const staffId = this.desk.staff(ctx, catalogue, args.staff, service);
    const result = await this.desk.options(ctx, service, staffId, wish);

    const data = {
      serviceId: service.serviceId,
      serviceName: service.name,
      durationMinutes: service.durationMinutes,
      requestedStart: wish.kind === 'exact' ? isoInZone(wish.start, ctx.company.timeZone) : null,
      available: result.available,
      options: this.desk.optionsData(ctx, result.options),
    };
    if (wish.kind === 'exact' && result.available) return ok(phrases.available(ctx, service.name, wish.start), data);
    if (staffId && wish.kind === 'exact') {
      // "bei Anna" and she is busy then: her nearest free times, and who else is free at the wished time.
      const others = await this.desk.othersFreeAt(ctx, catalogue, service, staffId, wish.start);
      if (others.length || result.options.length) {
        const name = catalogue.staff.find((s) => s.staffId === staffId)?.name ?? '';
        const staffData = { ...data, staffId, staffName: name, otherStaff: others.map((o) => ({ staffId: o.staffId, name: o.name })) };
        return ok(phrases.staffBusy(ctx, name, wish.start, result.options, others.map((o) => o.name)), staffData, 'staff_unavailable');
      }
    }
    if (result.options.length === 0) {
      // Nothing the agent can offer: the wish is kept for a call back (once per call).
      const callbackWishId = await this.desk.noteCallback(ctx, `${service.name}: ${describeArgs(ctx)}`, 'no_slot');
      if (callbackWishId) return ok(phrases.nothingFreeNoted(ctx, service.name), { ...data, callbackRecorded: true, callbackWishId }, 'no_availability');
      return ok(phrases.nothingFree(ctx, service.name), data, 'no_availability');
    }
    if (wish.kind === 'exact') {
      // Closed then (by the company's hours) is said as such, not as "taken".
      const hours = openingHoursOf(catalogue);
      const closedDay = catalogue.closedDays?.includes(isoDate(wish.date)) ?? false;
      if (closedDay || (hours && !openAt(hours, wish.date, wish.minuteOfDay))) return ok(phrases.closedWithAlternatives(ctx, wish.start, result.options), data, 'outside_opening_hours');
      if (!result.alternatives) return ok(phrases.nearWish(ctx, service.name, wish.start, result.options[0]), data);
      return ok(phrases.takenWithAlternatives(ctx, wish.start, result.options), data, 'slot_taken');
    }
    return ok(phrases.options(ctx, service.name, result.options, result.alternatives), data);
  }
}
