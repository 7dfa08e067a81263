import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { BookingUnavailableError } from '../booking/booking.client';
import { Appointment, Catalogue, readAlternatives, readAppointment, readAppointments } from '../booking/booking-data';
import { compareDates, parseWhen, zonedParts } from '@receptionist/dates';
import { Answer, BookingDesk, BookingRefusal } from './booking-desk';
import { CallContext, VoiceFunctionReply, fail, ok, slotView } from './context';
import { phrases } from './phrases';

/**
 * get_customer_appointments, cancel_appointment, reschedule_appointment: only ever the caller's own
 * appointments, found by the caller's E.164 number as the gateway saw it. A withheld number is refused;
 * never a match by name or by a number's last digits (seed-behaviour §4 "Fix").
 */
@Injectable()
export class MyAppointmentsHandler {
  constructor(private readonly desk: BookingDesk) {}

  async list(ctx: CallContext): Promise<VoiceFunctionReply> {
    const phone = this.caller(ctx);
    const upcoming = await this.upcoming(ctx, phone);
    const data = { appointments: upcoming.map((a) => this.view(ctx, a)) };
    if (!upcoming.length) return ok(phrases.noAppointments(ctx), data, 'no_appointments');
    return ok(phrases.appointmentsList(ctx, upcoming.map((a) => ({ service: a.serviceName, start: new Date(a.startsAt) }))), data);
  }

  async cancel(ctx: CallContext): Promise<VoiceFunctionReply> {
    const phone = this.caller(ctx);
    const target = await this.target(ctx, phone, ctx.args.appointmentId, ctx.args.oldDate ?? ctx.args.date, ctx.args.time);
    const start = new Date(target.startsAt);
    if (ctx.args.confirm === false) {
      return ok(phrases.confirmCancel(ctx, target.serviceName, start), { appointment: this.view(ctx, target), awaitingConfirmation: true }, 'awaiting_confirmation');
    }
    const reply = await this.desk.guard(
      ctx,
      () =>
        this.desk.booking.ask(
          {
            operation: 'appointment.cancel',
            companyId: ctx.company.id,
            callId: ctx.callId,
            customer: { phone },
            appointmentId: target.appointmentId,
            reason: ctx.args.reason ?? null,
            cancelledBy: 'customer',
          },
          ctx.deadline,
        ),
      { phone, text: `cancel ${target.serviceName} ${start.toISOString()}` },
    );
    if (!reply.ok) return this.refused(ctx, reply.code, `cancel ${target.appointmentId}`, reply.data);
    return ok(phrases.cancelled(ctx, target.serviceName, start), { cancelled: true, appointment: this.view(ctx, readAppointment(reply.data) ?? target) });
  }

  async reschedule(ctx: CallContext): Promise<VoiceFunctionReply> {
    const phone = this.caller(ctx);
    const { args } = ctx;
    // Which appointment: its id, or `old_date`; `datum` names the old one only when a new date is given apart.
    const identified = !!args.appointmentId || !!args.oldDate;
    const oldDate = args.oldDate ?? (identified ? undefined : args.newDate || args.newTime ? args.date : undefined);
    const newDate = args.newDate ?? (identified ? args.date : undefined);
    const newTime = args.newTime ?? (identified || args.newDate ? args.time : undefined);
    const target = await this.target(ctx, phone, args.appointmentId, oldDate, undefined);
    // A move the policy forbids anyway (limit reached, too close to the start) is refused at once, before the caller
    // is asked for a new time; booking still decides (and records) every move it is asked for.
    const forbidden = this.forbiddenMove(ctx, target, await this.desk.catalogue(ctx));
    if (forbidden) return this.refused(ctx, 'policy_denied', `reschedule ${target.appointmentId}`, forbidden);
    if (!newDate && !newTime && !args.datetime) {
      return fail('missing_fields', phrases.whenToMove(ctx), { missing: ['new_date', 'new_time'], appointment: this.view(ctx, target) });
    }
    const oldStart = new Date(target.startsAt);
    const { parsed, said } = this.desk.when(ctx, newDate, newTime, identified ? args.datetime : undefined);
    // A new time alone keeps the appointment's day.
    if (!parsed.date && parsed.time) {
      const p = zonedParts(oldStart, ctx.company.timeZone);
      parsed.date = { kind: 'day', date: { year: p.year, month: p.month, day: p.day } };
    }
    const catalogue = await this.desk.catalogue(ctx);
    const wish = this.desk.wish(ctx, parsed, said, catalogue);
    const service = catalogue.services.find((s) => s.serviceId === target.serviceId);
    if (wish.kind !== 'exact') {
      // A day without a time: offer times on it.
      if (!service) return fail('missing_fields', phrases.ask(ctx, 'time'), { missing: ['new_time'] });
      const options = await this.desk.options(ctx, service, target.staffId ?? null, wish);
      const data = { appointment: this.view(ctx, target), options: this.desk.optionsData(ctx, options.options) };
      if (!options.options.length) return ok(phrases.nothingFree(ctx, service.name), data, 'no_availability');
      return ok(phrases.options(ctx, service.name, options.options, options.alternatives), data, 'time_required');
    }
    if (ctx.args.confirm === false) {
      return ok(phrases.confirmReschedule(ctx, wish.start), { appointment: this.view(ctx, target), ...slotView(ctx, wish.start), awaitingConfirmation: true }, 'awaiting_confirmation');
    }
    const key = `va:${createHash('sha256').update(`${ctx.company.id}|${ctx.callId ?? phone}|${target.appointmentId}|${wish.start.toISOString()}`).digest('hex')}`;
    const reply = await this.desk.guard(
      ctx,
      () =>
        this.desk.booking.ask(
          {
            operation: 'appointment.reschedule',
            companyId: ctx.company.id,
            callId: ctx.callId,
            customer: { phone },
            appointmentId: target.appointmentId,
            newStart: wish.start.toISOString(),
            idempotencyKey: key,
          },
          ctx.deadline,
        ),
      { phone, text: `reschedule ${target.serviceName} ${oldStart.toISOString()} → ${wish.start.toISOString()}` },
    );
    if (reply.ok) {
      const moved = readAppointment(reply.data);
      const newStart = moved ? new Date(moved.startsAt) : wish.start;
      return ok(phrases.rescheduled(ctx, target.serviceName, newStart), { rescheduled: true, appointment: this.view(ctx, moved ?? { ...target, startsAt: newStart.toISOString() }), previousStart: slotView(ctx, oldStart).start });
    }
    if (reply.code === 'slot_taken') {
      let alternatives = readAlternatives(reply.data).slice(0, 3);
      if (!alternatives.length && service) alternatives = (await this.desk.options(ctx, service, target.staffId ?? null, wish)).options;
      return ok(phrases.slotTaken(ctx, alternatives), { rescheduled: false, appointment: this.view(ctx, target), options: this.desk.optionsData(ctx, alternatives) }, 'slot_taken');
    }
    return this.refused(ctx, reply.code, `reschedule ${target.appointmentId}`, reply.data);
  }

  /** The company's reschedule rules the appointment already breaks: the policy refusal's data, else null. */
  private forbiddenMove(ctx: CallContext, target: Appointment, catalogue: Catalogue): Record<string, unknown> | null {
    const service = catalogue.services.find((sv) => sv.serviceId === target.serviceId);
    const policies = { ...(catalogue.policies ?? {}), ...(service?.policies ?? {}) } as { maxReschedules?: number; rescheduleNoticeHours?: number | null; cancellationNoticeHours?: number };
    const count = target.rescheduledCount ?? 0;
    if (typeof policies.maxReschedules === 'number' && count >= policies.maxReschedules) {
      return { rule: 'max_reschedules', rescheduledCount: count, maxReschedules: policies.maxReschedules };
    }
    const notice = policies.rescheduleNoticeHours ?? policies.cancellationNoticeHours;
    const hoursLeft = (new Date(target.startsAt).getTime() - ctx.now.instant.getTime()) / 3_600_000;
    if (typeof notice === 'number' && hoursLeft < notice) return { rule: 'reschedule_notice', noticeHours: notice, hoursLeft };
    return null;
  }

  /** The caller's number, or the refusal for a withheld one. */
  private caller(ctx: CallContext): string {
    if (!ctx.from) throw new Answer(fail('anonymous_caller', phrases.anonymous(ctx)));
    return ctx.from;
  }

  private async upcoming(ctx: CallContext, phone: string): Promise<Appointment[]> {
    return this.desk.guard(ctx, async () => {
      const reply = await this.desk.booking.ask(
        { operation: 'appointment.list', companyId: ctx.company.id, callId: ctx.callId, customer: { phone }, includePast: false },
        ctx.deadline,
      );
      if (!reply.ok) {
        if (reply.code === 'not_found') return []; // unknown customer: simply no appointments
        throw reply.code === 'calendar_unavailable' ? new BookingUnavailableError('error') : new BookingRefusal(reply.code);
      }
      return readAppointments(reply.data)
        .filter((a) => a.status === 'booked' && new Date(a.startsAt).getTime() > ctx.now.instant.getTime())
        .sort((a, b) => a.startsAt.localeCompare(b.startsAt));
    }, { phone, text: 'list appointments' });
  }

  /** The one appointment of the caller meant by id or by day (and time); otherwise the question to ask. */
  private async target(ctx: CallContext, phone: string, appointmentId: string | undefined, dateText: string | undefined, timeText: string | undefined): Promise<Appointment> {
    const upcoming = await this.upcoming(ctx, phone);
    if (appointmentId) {
      const found = upcoming.find((a) => a.appointmentId === appointmentId);
      if (!found) throw new Answer(fail('not_found', phrases.appointmentNotFound(ctx, null)));
      return found;
    }
    let candidates = upcoming;
    let on: Date | null = null;
    if (dateText || timeText) {
      const parsed = { date: parseWhen(dateText, ctx.now, 'date').date, time: parseWhen(timeText ?? dateText, ctx.now, 'time').time };
      if (dateText && !parsed.date && !parsed.time) throw new Answer(fail('invalid_date', phrases.invalidDate(ctx)));
      if (parsed.date?.kind === 'day') {
        const day = parsed.date.date;
        on = new Date(Date.UTC(day.year, day.month - 1, day.day, 12));
        candidates = candidates.filter((a) => compareDates(zonedParts(new Date(a.startsAt), ctx.company.timeZone), day) === 0);
      }
      if (parsed.time?.kind === 'time' && candidates.length > 1) {
        const t = parsed.time;
        const exact = candidates.filter((a) => {
          const p = zonedParts(new Date(a.startsAt), ctx.company.timeZone);
          return p.hour === t.hour && p.minute === t.minute;
        });
        if (exact.length) candidates = exact;
      }
    }
    if (candidates.length === 1) return candidates[0];
    if (candidates.length === 0) {
      throw new Answer(fail(upcoming.length ? 'not_found' : 'no_appointments', upcoming.length || on ? phrases.appointmentNotFound(ctx, on) : phrases.noAppointments(ctx)));
    }
    const listed = candidates.slice(0, 5);
    throw new Answer(
      fail('multiple_found', phrases.whichAppointment(ctx, listed.map((a) => ({ service: a.serviceName, start: new Date(a.startsAt) }))), {
        appointments: listed.map((a) => this.view(ctx, a)),
      }),
    );
  }

  private async refused(ctx: CallContext, code: Parameters<BookingDesk['refusal']>[1], what: string, data?: Record<string, unknown>): Promise<VoiceFunctionReply> {
    if (code === 'calendar_unavailable') return this.desk.calendarFallback(ctx, what, { phone: ctx.from });
    const reply = this.desk.refusal(ctx, code, data);
    if (code === 'policy_denied') {
      // A policy refusal: the agent cannot help, so the wish is kept for staff to call back (once per call).
      const callbackWishId = await this.desk.noteCallback(ctx, `${what} (${String(data?.rule ?? 'policy')})`, 'policy');
      if (callbackWishId) return { ...reply, data: { ...(reply.data ?? {}), callbackRecorded: true, callbackWishId } };
    }
    return reply;
  }

  private view(ctx: CallContext, a: Appointment) {
    return { appointmentId: a.appointmentId, serviceId: a.serviceId, serviceName: a.serviceName, staffName: a.staffName ?? null, status: a.status, ...slotView(ctx, new Date(a.startsAt)) };
  }
}
