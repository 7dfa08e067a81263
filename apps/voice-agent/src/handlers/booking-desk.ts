import { Injectable } from '@nestjs/common';
import { callbackWishIdFor, type BookingErrorCode, type CallbackReasonName } from '@receptionist/contracts';
import { BookingClient, BookingUnavailableError } from '../booking/booking.client';
import { Catalogue, CatalogueService, CatalogueStaff, readAlternatives, readSlots } from '../booking/booking-data';
import { CatalogueCache, matchService, matchStaff } from '../booking/catalogue';
import { CallbackWishes } from '../callbacks/callback-wishes.service';
import { OpeningHours, ParsedWhen, hhmm, mergeWhen, parseWhen, spokenTime } from '@receptionist/dates';
import { CallContext, VoiceFunctionReply, fail, slotView } from './context';
import { phrases } from './phrases';
import { Options, Wish, chooseOptions, resolveWish, searchRange } from './wish';

/** Thrown by the desk with the reply the caller should hear; handlers return it as is. */
export class Answer extends Error {
  constructor(readonly reply: VoiceFunctionReply) {
    super(reply.code ?? 'answer');
  }
}

/** How far "whenever is free" and "the days after" look. */
const ANY_HORIZON_DAYS = 14;
const LATER_DAYS = 7;

/**
 * What several voice functions share: the company's catalogue, service and staff matching, reading the
 * caller's "when", finding options in booking's availability, and the spoken fallback when the calendar
 * cannot be reached.
 */
@Injectable()
export class BookingDesk {
  constructor(
    readonly booking: BookingClient,
    private readonly catalogues: CatalogueCache,
    private readonly callbacks: CallbackWishes,
  ) {}

  /** The catalogue, or an Answer (fallback when booking is unreachable, refusal when it has no set-up). */
  async catalogue(ctx: CallContext): Promise<Catalogue> {
    try {
      const catalogue = await this.catalogues.get(ctx.company.id, ctx.deadline);
      if (!catalogue || catalogue.services.length === 0) throw new Answer(fail('no_services', phrases.noServices(ctx)));
      return catalogue;
    } catch (error) {
      if (error instanceof BookingUnavailableError) throw new Answer(await this.calendarFallback(ctx, describeArgs(ctx)));
      throw error;
    }
  }

  service(ctx: CallContext, catalogue: Catalogue, query: string | undefined): CatalogueService {
    const names = catalogue.services.map((s) => s.name);
    if (!query) {
      if (catalogue.services.length === 1) return catalogue.services[0];
      throw new Answer(fail('missing_fields', phrases.whichService(ctx, names), { missing: ['service'], services: names }));
    }
    const m = matchService(query, catalogue);
    if (m.kind === 'one') return m.item;
    if (m.kind === 'several') throw new Answer(fail('ambiguous_service', phrases.severalServices(ctx, m.items.map((s) => s.name)), { services: m.items.map((s) => s.name) }));
    throw new Answer(fail('unknown_service', phrases.unknownService(ctx, names), { services: names }));
  }

  staff(ctx: CallContext, catalogue: Catalogue, query: string | undefined, service: CatalogueService | null): string | null {
    if (!query) return null;
    const m = matchStaff(query, catalogue);
    // A composite service: anyone who may do one of its steps.
    const performs = (s: CatalogueStaff) =>
      !service || !s.serviceIds.length || s.serviceIds.includes(service.serviceId) || !!service.steps?.some((st) => st.staffIds.includes(s.staffId));
    if (m.kind === 'one' && !performs(m.item) && service) {
      // A real person who does not do this: say so and who does, rather than "I cannot find this person".
      const others = catalogue.staff.filter(performs);
      throw new Answer(
        fail('staff_does_not_offer', phrases.staffDoesNotOffer(ctx, m.item.name, service.name, others.map((o) => o.name)), {
          staffName: m.item.name,
          serviceName: service.name,
          otherStaff: others.map((o) => ({ staffId: o.staffId, name: o.name })),
        }),
      );
    }
    if (m.kind !== 'one' || !performs(m.item)) {
      throw new Answer(fail('unknown_staff', phrases.unknownStaff(ctx)));
    }
    return m.item.staffId;
  }

  /**
   * The preferred staff member is busy at the wished time: who else (performing the service) is free then.
   * Asked per person at exactly that start; a failed lookup just leaves that person out.
   */
  async othersFreeAt(ctx: CallContext, catalogue: Catalogue, service: CatalogueService, staffId: string, start: Date): Promise<CatalogueStaff[]> {
    const others = catalogue.staff.filter((s) => s.staffId !== staffId && (service.staffIds.includes(s.staffId) || !!service.steps?.some((st) => st.staffIds.includes(s.staffId))));
    const free = await Promise.all(
      others.slice(0, 5).map(async (s) => {
        const slots = await this.slots(ctx, service.serviceId, s.staffId, start, new Date(start.getTime() + 60_000)).catch(() => [] as Date[]);
        return slots.some((d) => d.getTime() === start.getTime()) ? s : null;
      }),
    );
    return free.filter((s): s is CatalogueStaff => !!s);
  }

  /**
   * The agent could not help (nothing free in the range, a policy refusal): the wish is stored for a call back,
   * once per call and reason. Without the caller's number there is nobody to call back.
   */
  async noteCallback(ctx: CallContext, what: string, reason: 'no_slot' | 'policy'): Promise<string | null> {
    if (!ctx.from) return null;
    return this.callbacks.recordOnce({ id: wishIdOf(ctx), companyId: ctx.company.id, callId: ctx.callId, customerName: null, phone: ctx.from, wish: `${ctx.fn}: ${what}`.slice(0, 1000), reason });
  }

  /** Reads date and time from `date`/`time`/`datetime` style arguments. */
  when(ctx: CallContext, dateText: string | undefined, timeText: string | undefined, datetimeText?: string): { parsed: ParsedWhen; said: { date: boolean; time: boolean } } {
    const parts = [parseWhen(datetimeText, ctx.now, 'date'), parseWhen(dateText, ctx.now, 'date'), parseWhen(timeText, ctx.now, 'time')];
    const parsed = mergeWhen(...parts);
    // A date argument that only held a time ("14 Uhr" in `datum`) is not a bad date.
    const dateSaid = !!dateText && !parts[1].time;
    return { parsed, said: { date: dateSaid || (!!datetimeText && !parts[0].time), time: !!timeText } };
  }

  /** Resolves the wish or throws the Answer explaining what was wrong with it. */
  wish(ctx: CallContext, parsed: ParsedWhen, said: { date: boolean; time: boolean }, catalogue?: Catalogue | null): Wish {
    const r = resolveWish(parsed, ctx.now, said, openingHoursOf(catalogue));
    if ('wish' in r) return r.wish;
    switch (r.problem) {
      case 'ambiguous_time': {
        const options = r.options.map((o) => spokenTime(o, ctx.lang));
        throw new Answer(fail('ambiguous_time', phrases.whichTime(ctx, options), { options: r.options.map(hhmm) }));
      }
      case 'invalid_date':
        throw new Answer(fail('invalid_date', phrases.invalidDate(ctx)));
      case 'invalid_time':
        throw new Answer(fail('invalid_time', phrases.invalidTime(ctx)));
      case 'time_passed_today': {
        const t = { hour: Math.floor(r.minuteOfDay! / 60), minute: r.minuteOfDay! % 60 };
        throw new Answer(fail('date_in_past', phrases.timePassedToday(ctx, spokenTime(t, ctx.lang)), { time: hhmm(t) }));
      }
      default:
        throw new Answer(fail('date_in_past', phrases.dateInPast(ctx)));
    }
  }

  /** Free starts of a service in [from, to) from booking. */
  async slots(ctx: CallContext, serviceId: string, staffId: string | null, from: Date, to: Date): Promise<Date[]> {
    const reply = await this.booking.ask(
      { operation: 'availability.get', companyId: ctx.company.id, callId: ctx.callId, serviceId, staffId, from: from.toISOString(), to: to.toISOString() },
      ctx.deadline,
    );
    if (!reply.ok) throw reply.code === 'calendar_unavailable' ? new BookingUnavailableError('error') : new BookingRefusal(reply.code, reply.data);
    return readSlots(reply.data).filter((s) => s.getTime() > ctx.now.instant.getTime());
  }

  /** Options for a wish: the wished range first, then the days after it when that has nothing suitable. */
  async options(ctx: CallContext, service: CatalogueService, staffId: string | null, wish: Wish): Promise<Options> {
    return this.guard(ctx, async () => {
      const range = searchRange(wish, ctx.now, ANY_HORIZON_DAYS);
      const slots = await this.slots(ctx, service.serviceId, staffId, range.from, range.to);
      let result = chooseOptions(wish, slots, [], ctx.company.timeZone);
      // A taken exact time: the following days too, so the offer is "before, after, or the same time tomorrow"
      // exactly as booking offers it on slot_taken (one rule, libs/dates pickAlternatives).
      const wantsMore = wish.kind === 'exact' ? result.available === false && !(wish.approximate && result.options.length) : wish.kind === 'window' && result.options.length === 0;
      if (wantsMore) {
        const later = await this.slots(ctx, service.serviceId, staffId, range.to, new Date(range.to.getTime() + LATER_DAYS * 86400000));
        result = chooseOptions(wish, slots, later, ctx.company.timeZone);
      }
      return result;
    });
  }

  /** Runs a booking conversation step; booking unreachable → spoken fallback, refusal → spoken refusal. */
  async guard<T>(ctx: CallContext, step: () => Promise<T>, wish?: { name?: string | null; phone?: string | null; text?: string }): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof BookingUnavailableError) throw new Answer(await this.calendarFallback(ctx, wish?.text ?? describeArgs(ctx), wish));
      if (error instanceof BookingRefusal) throw new Answer(this.refusal(ctx, error.code, error.data));
      throw error;
    }
  }

  /**
   * Booking said no: the sentence for its code; a policy refusal names the rule ("nur bis 24 Stunden vorher"),
   * and a refused start (closed, too soon, too far) comes with booking's alternatives when it has any.
   */
  refusal(ctx: CallContext, code: BookingErrorCode | undefined, data?: Record<string, unknown>): VoiceFunctionReply {
    const ours: Record<string, string> = { in_the_past: 'date_in_past' };
    const outCode = ours[code ?? ''] ?? code ?? 'booking_failed';
    if (code === 'policy_denied') {
      return fail(outCode, phrases.policyRefused(ctx, data ?? {}), { rule: data?.rule ?? null, callbackOffered: true });
    }
    if (code === 'staff_unavailable') {
      const options = readAlternatives(data).filter((d) => d.getTime() > ctx.now.instant.getTime()).slice(0, 3);
      const others = Array.isArray(data?.otherStaff) ? (data.otherStaff as { staffId: string; name: string }[]) : [];
      const start = typeof data?.start === 'string' ? new Date(data.start) : null;
      const name = typeof data?.staffName === 'string' ? data.staffName : '';
      if (start) {
        return fail(outCode, phrases.staffBusy(ctx, name, start, options, others.map((o) => o.name)), { options: this.optionsData(ctx, options), otherStaff: others });
      }
    }
    const alternatives = readAlternatives(data).filter((d) => d.getTime() > ctx.now.instant.getTime()).slice(0, 3);
    if (alternatives.length && (code === 'outside_opening_hours' || code === 'too_short_notice' || code === 'beyond_horizon')) {
      return fail(outCode, phrases.refusedWithAlternatives(ctx, code, alternatives), { options: this.optionsData(ctx, alternatives) });
    }
    return fail(outCode, phrases.bookingRefused(ctx, code));
  }

  /**
   * Calendar or booking unreachable: record the caller's wish for a call back (durably, delivered to booking
   * in the background) and say so politely. Without any number to call back, ask for one.
   */
  async calendarFallback(ctx: CallContext, what: string, who?: { name?: string | null; phone?: string | null }): Promise<VoiceFunctionReply> {
    const phone = who?.phone ?? ctx.from;
    if (!phone) return fail('calendar_unavailable', phrases.calendarFallbackNoNumber(ctx), { callbackRecorded: false });
    const id = await this.recordCallback(ctx, { name: who?.name ?? null, phone }, `${ctx.fn}: ${what}`, 'calendar_unavailable');
    return fail('calendar_unavailable', phrases.calendarFallback(ctx), { callbackRecorded: true, callbackWishId: id });
  }

  recordCallback(ctx: CallContext, who: { name: string | null; phone: string }, wish: string, reason: CallbackReasonName): Promise<string> {
    return this.callbacks.record({ id: wishIdOf(ctx), companyId: ctx.company.id, callId: ctx.callId, customerName: who.name, phone: who.phone, wish: wish.slice(0, 1000), reason });
  }

  /** Data for a list of options. */
  optionsData(ctx: CallContext, options: Date[]) {
    return options.map((o) => slotView(ctx, o));
  }
}

/** The company's opening hours from its catalogue (null: not known, nothing is settled by them). */
export function openingHoursOf(catalogue: Catalogue | null | undefined): OpeningHours | null {
  return (catalogue?.openingHours as OpeningHours | undefined) ?? null;
}

/** What the caller asked for, for the person calling back (`date=morgen, time=14 Uhr, service=Beratung`). */
export function describeArgs(ctx: CallContext): string {
  return Object.entries(ctx.args)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ') || '-';
}

/** Booking answered ok:false with a code (other than calendar_unavailable). */
export class BookingRefusal extends Error {
  constructor(
    readonly code: BookingErrorCode | undefined,
    readonly data?: Record<string, unknown>,
  ) {
    super(`booking refused: ${code}`);
  }
}

/**
 * The wish a request records is named by its request key (`callbackWishIdFor`), as the gateway names the callback its
 * spoken fallback promises for the same request: when our answer comes too late for the gateway, both are one
 * callback request in booking.
 */
const wishIdOf = (ctx: CallContext): string | undefined => (ctx.requestKey ? callbackWishIdFor(ctx.requestKey) : undefined);
