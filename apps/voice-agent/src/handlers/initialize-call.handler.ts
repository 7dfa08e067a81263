import { Injectable } from '@nestjs/common';
import { BookingUnavailableError } from '../booking/booking.client';
import { Appointment, Catalogue, Customer, readAppointments, readCustomer } from '../booking/booking-data';
import { CatalogueCache } from '../booking/catalogue';
import { addDays, germanDate, hhmm, isoDate, isoInZone, spokenLanguage, weekdayName } from '@receptionist/dates';
import { BookingDesk } from './booking-desk';
import { CallContext, VoiceFunctionReply, ok, slotView } from './context';
import { staffedNow } from './handoff';
import { phrases } from './phrases';

/**
 * initialize_call (also get_current_context, check_customer): who is calling, what the company offers and
 * what "today" is in the company's time zone. Never fails the call: without booking it still greets and
 * gives the date context.
 */
@Injectable()
export class InitializeCallHandler {
  constructor(
    private readonly desk: BookingDesk,
    private readonly catalogues: CatalogueCache,
  ) {}

  async handle(ctx: CallContext): Promise<VoiceFunctionReply> {
    const [catalogue, caller] = await Promise.all([
      this.catalogues.get(ctx.company.id, ctx.deadline).catch(() => null),
      ctx.from ? this.lookup(ctx, ctx.from) : Promise.resolve({ customer: null, appointments: [] as Appointment[], reachable: true }),
    ]);
    const customer = caller.customer?.name ? caller.customer : null;
    if (customer?.language) ctx.lang = spokenLanguage(customer.language);
    const upcoming = caller.appointments
      .filter((a) => a.status === 'booked' && new Date(a.startsAt).getTime() > ctx.now.instant.getTime())
      .sort((a, b) => a.startsAt.localeCompare(b.startsAt));
    const message = customer ? phrases.greetingKnown(ctx, customer.name!) : phrases.greetingNew(ctx);
    // The number Retell's transfer tool can use as {{transfer_number}}: staffed now, else empty.
    const handoff = staffedNow(catalogue, ctx.company.branchId, ctx.now, ctx.company.timeZone);

    return ok(message, {
      customer: customer
        ? { known: true, status: 'found', customerId: customer.customerId ?? null, name: customer.name, phone: ctx.from, email: customer.email ?? null }
        : { known: false, status: ctx.from ? 'new_customer' : 'anonymous', phone: ctx.from },
      language: ctx.lang,
      now: this.now(ctx),
      upcomingAppointments: upcoming.map((a) => ({ appointmentId: a.appointmentId, serviceName: a.serviceName, ...slotView(ctx, new Date(a.startsAt)) })),
      services: (catalogue?.services ?? []).map((s) => ({ serviceId: s.serviceId, key: s.key, name: s.name, durationMinutes: s.durationMinutes })),
      bookingReachable: catalogue !== null && caller.reachable,
      handoff: handoff ? { available: true, number: handoff.number, label: handoff.label } : { available: false, number: null, label: null },
      dynamicVariables: {
        ...this.dynamicVariables(ctx, customer, upcoming, catalogue, message),
        transfer_number: handoff?.number ?? '',
        transfer_available: handoff ? 'true' : 'false',
      },
    });
  }

  private async lookup(ctx: CallContext, phone: string): Promise<{ customer: Customer | null; appointments: Appointment[]; reachable: boolean }> {
    try {
      const reply = await this.desk.booking.ask({ operation: 'customer.lookup', companyId: ctx.company.id, callId: ctx.callId, phone }, ctx.deadline);
      if (!reply.ok) return { customer: null, appointments: [], reachable: reply.code !== 'calendar_unavailable' };
      return { customer: readCustomer(reply.data), appointments: readAppointments(reply.data), reachable: true };
    } catch (error) {
      if (error instanceof BookingUnavailableError) return { customer: null, appointments: [], reachable: false };
      throw error;
    }
  }

  private now(ctx: CallContext) {
    const today = ctx.now.local;
    return {
      iso: isoInZone(ctx.now.instant, ctx.company.timeZone),
      date: isoDate(today),
      time: hhmm(today),
      weekday: weekdayName(today, ctx.lang),
      timeZone: ctx.company.timeZone,
    };
  }

  /** Flat string map for Retell's `call_inbound` response and prompts (`{{current_date}}` …). */
  private dynamicVariables(ctx: CallContext, customer: Customer | null, upcoming: Appointment[], catalogue: Catalogue | null, greeting: string): Record<string, string> {
    const today = ctx.now.local;
    const tomorrow = addDays(today, 1);
    const dayAfter = addDays(today, 2);
    const nextMonday = addDays(today, ((1 - ctx.now.weekday + 7) % 7) || 7);
    return {
      company_name: ctx.company.name,
      time_zone: ctx.company.timeZone,
      language: ctx.lang,
      customer_known: customer ? 'true' : 'false',
      customer_name: customer?.name ?? '',
      customer_phone: ctx.from ?? '',
      current_date: isoDate(today),
      heute_datum: germanDate(today),
      current_time: hhmm(today),
      current_weekday: weekdayName(today, ctx.lang),
      current_datetime: isoInZone(ctx.now.instant, ctx.company.timeZone),
      tomorrow: isoDate(tomorrow),
      morgen: germanDate(tomorrow),
      day_after_tomorrow: isoDate(dayAfter),
      uebermorgen: germanDate(dayAfter),
      naechster_montag: germanDate(nextMonday),
      services: (catalogue?.services ?? []).map((s) => s.name).join(', '),
      upcoming_appointments: upcoming.length
        ? phrases.appointmentsList(ctx, upcoming.map((a) => ({ service: a.serviceName, start: new Date(a.startsAt) })))
        : '',
      greeting,
    };
  }
}
