import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Catalogue, CatalogueService, readAlternatives, readAppointment } from '../booking/booking-data';
import { LocalDate, addDays, compareDates, hhmm, isoDate, isoInZone, resolveWish, settleTime, spokenTime, toInstant } from '@receptionist/dates';
import { companyCountry, missingFields, normalisePhone, validateEmail, validateName } from '../drafts/draft-fields';
import { CallDraftEntity } from '../drafts/draft.entity';
import { DraftPatch, DraftsRepository } from '../drafts/drafts.repository';
import { Answer, BookingDesk, openingHoursOf } from './booking-desk';
import { CallContext, VoiceFunctionReply, fail, ok, slotView } from './context';
import { dateTimeOf, phrases } from './phrases';

/** The fields of a booking as far as they are known (draft merged with this call's arguments). */
interface Booking {
  customerName: string | null;
  phone: string | null;
  email: string | null;
  serviceId: string | null;
  staffId: string | null;
  wishDate: string | null;
  wishTime: string | null;
  notes: string | null;
}

const EMPTY: Booking = { customerName: null, phone: null, email: null, serviceId: null, staffId: null, wishDate: null, wishTime: null, notes: null };

/** Same company, call, service and start → same key → booking answers with the same appointment. */
export function bookingIdempotencyKey(companyId: string, callOrCaller: string, serviceId: string, start: Date): string {
  return `va:${createHash('sha256').update(`${companyId}|${callOrCaller}|${serviceId}|${start.toISOString()}`).digest('hex')}`;
}

/**
 * collect_appointment keeps the per-call draft (validating each field, saying what is still missing, and
 * booking once the caller has confirmed); book_appointment books from its arguments and the draft.
 */
@Injectable()
export class AppointmentBookingHandler {
  constructor(
    private readonly desk: BookingDesk,
    private readonly drafts: DraftsRepository,
  ) {}

  async collect(ctx: CallContext): Promise<VoiceFunctionReply> {
    if (!ctx.callId) return fail('no_call_context', phrases.noCallContext(ctx));
    const draft = await this.drafts.find(ctx.company.id, ctx.callId);
    const catalogue = await this.desk.catalogue(ctx);
    const { patch, booking } = this.merge(ctx, catalogue, draft);
    await this.drafts.save(ctx.company.id, ctx.callId, { ...patch, status: 'collecting' });

    const missing = missingFields({ ...booking });
    const service = booking.serviceId ? catalogue.services.find((s) => s.serviceId === booking.serviceId) ?? null : null;
    const draftData = this.draftData(ctx, booking, service);

    if (ctx.args.confirm === true) {
      if (missing.length) return this.missing(ctx, missing, draftData, false);
      return this.book(ctx, booking, service!);
    }
    // With a service, day and time known, say at once whether that time is free.
    if (service && booking.wishDate && booking.wishTime) {
      const start = this.start(ctx, booking)!;
      const options = await this.desk.options(ctx, service, booking.staffId, { kind: 'exact', start, date: this.localDate(booking.wishDate), minuteOfDay: this.minuteOfDay(booking.wishTime) });
      if (!options.available) {
        const data = { ...draftData, available: false, options: this.desk.optionsData(ctx, options.options) };
        return options.options.length
          ? ok(phrases.takenWithAlternatives(ctx, start, options.options), data, 'slot_taken')
          : ok(phrases.nothingFree(ctx, service.name), data, 'no_availability');
      }
      if (!missing.length) {
        return ok(phrases.confirmDraft(ctx, service.name, start, booking.customerName!, ctx.from ? null : booking.phone), { ...draftData, available: true, awaitingConfirmation: true });
      }
    }
    if (missing.length) return this.missing(ctx, missing, draftData, true);
    return ok(phrases.noted(ctx, ''), draftData);
  }

  async book(ctx: CallContext, booking?: Booking, service?: CatalogueService): Promise<VoiceFunctionReply> {
    if (!booking || !service) {
      const draft = ctx.callId ? await this.drafts.find(ctx.company.id, ctx.callId) : null;
      const catalogue = await this.desk.catalogue(ctx);
      const merged = this.merge(ctx, catalogue, draft);
      booking = merged.booking;
      if (ctx.callId) await this.drafts.save(ctx.company.id, ctx.callId, merged.patch);
      const missing = missingFields(booking);
      service = booking.serviceId ? catalogue.services.find((s) => s.serviceId === booking!.serviceId) : undefined;
      if (missing.length || !service) return this.missing(ctx, missing, this.draftData(ctx, booking, service ?? null), false);
    }
    const start = this.start(ctx, booking)!;
    // A withheld number: the callback number the caller gave is read back and must be confirmed before booking.
    if (!ctx.from && ctx.args.confirm !== true) {
      return ok(phrases.confirmDraft(ctx, service.name, start, booking.customerName!, booking.phone), { ...this.draftData(ctx, booking, service), awaitingConfirmation: true }, 'awaiting_confirmation');
    }
    const who = { name: booking.customerName, phone: booking.phone, text: `${service.name}, ${dateTimeOf(ctx, start)}, ${booking.customerName}` };
    const reply = await this.desk.guard(
      ctx,
      () =>
        this.desk.booking.ask(
          {
            operation: 'appointment.book',
            companyId: ctx.company.id,
            callId: ctx.callId,
            serviceId: service!.serviceId,
            staffId: booking!.staffId,
            start: start.toISOString(),
            // Only the number the network showed is the caller's; one they said must not rename an existing customer.
            customer: { name: booking!.customerName!, phone: booking!.phone, email: booking!.email, language: ctx.lang, numberVerified: !!ctx.from && booking!.phone === ctx.from },
            notes: booking!.notes,
            idempotencyKey: bookingIdempotencyKey(ctx.company.id, ctx.callId ?? booking!.phone ?? 'unknown', service!.serviceId, start),
          },
          ctx.deadline,
        ),
      who,
    );
    if (reply.ok) {
      const appointment = readAppointment(reply.data);
      const bookedStart = appointment ? new Date(appointment.startsAt) : start;
      if (ctx.callId) await this.drafts.save(ctx.company.id, ctx.callId, { status: 'booked', appointmentId: appointment?.appointmentId ?? null });
      return ok(phrases.booked(ctx, service.name, bookedStart), {
        booked: true,
        appointmentId: appointment?.appointmentId ?? null,
        serviceId: service.serviceId,
        serviceName: service.name,
        ...slotView(ctx, bookedStart),
      });
    }
    if (reply.code === 'slot_taken') {
      let alternatives = readAlternatives(reply.data).filter((d) => d.getTime() > ctx.now.instant.getTime()).slice(0, 3);
      if (!alternatives.length) {
        alternatives = (await this.desk.options(ctx, service, booking.staffId, { kind: 'exact', start, date: this.localDate(booking.wishDate!), minuteOfDay: this.minuteOfDay(booking.wishTime!) })).options;
      }
      return ok(phrases.slotTaken(ctx, alternatives), { booked: false, requestedStart: isoInZone(start, ctx.company.timeZone), options: this.desk.optionsData(ctx, alternatives) }, 'slot_taken');
    }
    if (reply.code === 'calendar_unavailable') {
      if (ctx.callId) await this.drafts.save(ctx.company.id, ctx.callId, { status: 'callback' });
      return this.desk.calendarFallback(ctx, who.text, who);
    }
    // staff_unavailable: the preferred staff member's own free times and who else is free (booking's data).
    return this.desk.refusal(ctx, reply.code, reply.data);
  }

  /** Validates this call's arguments and merges them over the draft; any bad value → Answer, nothing saved. */
  private merge(ctx: CallContext, catalogue: Catalogue, draft: CallDraftEntity | null): { patch: DraftPatch; booking: Booking } {
    const { args } = ctx;
    const patch: DraftPatch = {};
    const invalid: string[] = [];
    let first: VoiceFunctionReply | null = null;
    const bad = (code: string, reply: VoiceFunctionReply) => {
      invalid.push(code);
      first ??= reply;
    };

    if (args.name !== undefined) {
      const r = validateName(args.name, catalogue.staff.map((s) => s.name));
      if (r.ok) patch.customerName = r.value;
      else if (r.code === 'staff_name') bad('name', fail('staff_name_as_customer_name', phrases.staffNameAsName(ctx, args.name!)));
      else bad('name', fail('empty_name', phrases.emptyName(ctx)));
    }
    if (args.phone !== undefined) {
      const r = normalisePhone(args.phone, companyCountry(ctx.company, ctx.to));
      if (r.ok) patch.phone = r.value;
      else bad('phone', fail('invalid_phone', phrases.invalidPhone(ctx)));
    }
    if (args.email !== undefined) {
      const r = validateEmail(args.email);
      if (r.ok) patch.email = r.value;
      else bad('email', fail('invalid_email', phrases.invalidEmail(ctx)));
    }
    let service: CatalogueService | null = null;
    try {
      if (args.service !== undefined) {
        service = this.desk.service(ctx, catalogue, args.service);
        patch.serviceId = service.serviceId;
      } else if (!draft?.serviceId && catalogue.services.length === 1) {
        patch.serviceId = catalogue.services[0].serviceId;
      }
    } catch (error) {
      if (!(error instanceof Answer)) throw error;
      bad('service', error.reply);
    }
    try {
      const serviceForStaff = service ?? catalogue.services.find((s) => s.serviceId === (patch.serviceId ?? draft?.serviceId)) ?? null;
      const staffId = this.desk.staff(ctx, catalogue, args.staff, serviceForStaff);
      if (staffId) patch.staffId = staffId;
    } catch (error) {
      if (!(error instanceof Answer)) throw error;
      bad('staff', error.reply);
    }
    if (args.notes !== undefined) patch.notes = args.notes.slice(0, 1000);

    if (args.date !== undefined || args.time !== undefined || args.datetime !== undefined) {
      try {
        const { parsed, said } = this.desk.when(ctx, args.date, args.time, args.datetime);
        if (said.date && !parsed.date) throw new Answer(fail('invalid_date', phrases.invalidDate(ctx)));
        if (said.time && !parsed.time) throw new Answer(fail('invalid_time', phrases.invalidTime(ctx)));
        if (parsed.date?.kind === 'range') throw new Answer(fail('missing_fields', phrases.ask(ctx, 'date'), { missing: ['date'] }));
        if (parsed.time?.kind === 'period') throw new Answer(fail('missing_fields', phrases.ask(ctx, 'time'), { missing: ['time'] }));
        const date = parsed.date?.kind === 'day' ? parsed.date.date : null;
        const spoken = parsed.time?.kind === 'time' ? parsed.time : null;
        if (date) patch.wishDate = isoDate(date);
        const nowMinute = ctx.now.local.hour * 60 + ctx.now.local.minute;
        // A time alone, with no day yet: resolved as check_availability reads it (today if still ahead, else tomorrow).
        if (spoken && !date && !draft?.wishDate) {
          const r = resolveWish({ date: null, time: spoken }, ctx.now, { date: false, time: true }, openingHoursOf(catalogue));
          if ('wish' in r && r.wish.kind === 'exact') patch.wishDate = isoDate(r.wish.date);
          else patch.wishDate = isoDate(spoken.hour * 60 + spoken.minute > nowMinute ? ctx.now.local : addDays(ctx.now.local, 1));
        }
        if (spoken) {
          // "halb drei": 02:30 or 14:30 — the company's opening hours on that day decide, else ask.
          const day = this.localDate(patch.wishDate ?? draft?.wishDate ?? isoDate(ctx.now.local));
          const settled = settleTime(spoken, day, openingHoursOf(catalogue), compareDates(day, ctx.now.local) === 0 ? nowMinute : undefined);
          if ('options' in settled) {
            throw new Answer(fail('ambiguous_time', phrases.whichTime(ctx, settled.options.map((o) => spokenTime(o, ctx.lang))), { options: settled.options.map(hhmm) }));
          }
          patch.wishTime = hhmm(settled);
        }
        const wishDate = patch.wishDate ?? draft?.wishDate ?? null;
        const wishTime = patch.wishTime ?? draft?.wishTime ?? null;
        if (wishDate && compareDates(this.localDate(wishDate), ctx.now.local) < 0) throw new Answer(fail('date_in_past', phrases.dateInPast(ctx)));
        if (wishDate && wishTime) {
          const start = this.start(ctx, { wishDate, wishTime })!;
          if (start.getTime() <= ctx.now.instant.getTime()) throw new Answer(fail('date_in_past', phrases.dateInPast(ctx)));
          patch.startAt = start;
        }
      } catch (error) {
        if (!(error instanceof Answer)) throw error;
        bad('when', error.reply);
      }
    }
    if (first) {
      const reply = first as VoiceFunctionReply;
      throw new Answer({ ...reply, data: { ...(reply.data ?? {}), invalid } });
    }
    const booking: Booking = { ...EMPTY };
    for (const k of Object.keys(EMPTY) as (keyof Booking)[]) booking[k] = (patch[k] as string | null | undefined) ?? draft?.[k] ?? null;
    // The caller's own number, when they gave no other.
    if (!booking.phone && ctx.from) {
      booking.phone = ctx.from;
      patch.phone = ctx.from;
    }
    return { patch, booking };
  }

  private missing(ctx: CallContext, missing: string[], draft: Record<string, unknown>, collecting: boolean): VoiceFunctionReply {
    const first = missing[0] as Parameters<typeof phrases.ask>[1];
    const question = first === 'name' && !collecting ? phrases.emptyName(ctx) : phrases.ask(ctx, first);
    const data = { ...draft, missing };
    return collecting ? ok(phrases.noted(ctx, question), data, 'missing_fields') : fail('missing_fields', question, data);
  }

  private draftData(ctx: CallContext, b: Booking, service: CatalogueService | null) {
    const start = this.start(ctx, b);
    return {
      draft: {
        customerName: b.customerName,
        phone: b.phone,
        email: b.email,
        serviceId: b.serviceId,
        serviceName: service?.name ?? null,
        staffId: b.staffId,
        date: b.wishDate,
        time: b.wishTime,
        start: start ? isoInZone(start, ctx.company.timeZone) : null,
        notes: b.notes,
      },
    };
  }

  private localDate(iso: string): LocalDate {
    const [year, month, day] = iso.split('-').map(Number);
    return { year, month, day };
  }

  private minuteOfDay(t: string): number {
    const [h, m] = t.split(':').map(Number);
    return h * 60 + m;
  }

  private start(ctx: CallContext, b: Pick<Booking, 'wishDate' | 'wishTime'>): Date | null {
    if (!b.wishDate || !b.wishTime) return null;
    const m = this.minuteOfDay(b.wishTime);
    return toInstant({ ...this.localDate(b.wishDate), hour: Math.floor(m / 60), minute: m % 60 }, ctx.company.timeZone);
  }
}
