import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { randomUUID } from 'node:crypto';
import { Envelope, TopicData, Topics, toE164 } from '@receptionist/contracts';
import { Outbox, isDuplicateKeyError } from '@receptionist/messaging';
import { getOrCreateMetric, registry } from '@receptionist/observability';
import { LOGGER, OnEvent } from '@receptionist/service-runtime';
import { AvailabilityService } from '../availability/availability.service';
import type { ServiceEntity } from '../catalogue/catalogue.entities';
import { CatalogueRepository } from '../catalogue/catalogue.repository';
import { CompanyFilter } from '../common/company-filter';
import { CustomersRepository } from '../customers/customers.repository';
import { AppointmentEntity } from './appointment.entities';
import { appointmentEventData } from './appointment-views';
import { AppointmentsRepository } from './appointments.repository';
import { AppointmentsService } from './appointments.service';
import { CalcomCreates } from './calcom-creates';

type Change = TopicData<'calcomBookingChanged'>;

/** Cal.com changes applied to our appointments, by trigger and outcome (applied, unchanged, not_ours, composite, foreign, unrecorded). */
const calendarChanges = () =>
  getOrCreateMetric('booking_calendar_changes_total', () =>
    new Counter({ name: 'booking_calendar_changes_total', help: 'Cal.com booking changes seen by booking, by trigger and outcome', labelNames: ['trigger', 'outcome'], registers: [registry] }),
  );

const instant = (v: unknown): Date | null => {
  if (typeof v !== 'string') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
};

/**
 * Cal.com → platform (the gateway forwards Cal.com's signed webhooks as `calcom.booking.changed`). Every change drops
 * the cached slots of the calendars involved. A cancellation or a move of one of *our* appointments made in Cal.com
 * itself (by the business in its calendar) is applied here too, as the business's change: the appointment is
 * cancelled or moved, and `booking.cancelled` / `booking.rescheduled` go out through the outbox (so the customer is
 * told, reminders follow, and callbacks fire), without writing back to Cal.com. Echoes of our own changes find the
 * appointment already in that state and change nothing, which is also what makes redeliveries and late deliveries
 * harmless: a move is found by the uid it moved from, and once the appointment holds a newer uid an old message no
 * longer matches. The appointment's company decides; the envelope names none.
 */
@Injectable()
export class CalendarChangesHandler {
  constructor(
    private readonly availability: AvailabilityService,
    private readonly appointments: AppointmentsRepository,
    private readonly appointmentsService: AppointmentsService,
    private readonly catalogue: CatalogueRepository,
    private readonly customers: CustomersRepository,
    private readonly companies: CompanyFilter,
    private readonly outbox: Outbox,
    private readonly creates: CalcomCreates,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnEvent(Topics.calcomBookingChanged.name)
  async onChanged(envelope: Envelope<Change>): Promise<void> {
    const { trigger, payload } = envelope.data;
    const targets = new Map<string, { companyId: string; eventTypeId: number }>();
    const add = (companyId: string, eventTypeId: number) => {
      if ((!envelope.companyId || envelope.companyId === companyId) && this.companies.serves(companyId)) {
        targets.set(`${companyId}:${eventTypeId}`, { companyId, eventTypeId });
      }
    };
    const ours = await this.appointments.findByCalcomUid(envelope.data.calcomBookingUid);
    if (ours) add(ours.companyId, ours.calcomEventTypeId);
    const eventTypeId = Number(payload.eventTypeId);
    // Every service booking in this calendar: their cached slots go, and an import needs to know whose it is.
    const inCalendar = Number.isInteger(eventTypeId) && eventTypeId > 0 ? await this.catalogue.findServicesByEventType(eventTypeId) : [];
    for (const s of inCalendar) add(s.companyId, eventTypeId);

    if (trigger === 'BOOKING_CREATED') {
      if (!ours) await this.bookedInCalendar(envelope, eventTypeId, inCalendar, trigger);
      else calendarChanges().inc({ trigger, outcome: 'unchanged' });
    } else if (trigger === 'BOOKING_CANCELLED' || trigger === 'BOOKING_REJECTED') {
      if (!ours) calendarChanges().inc({ trigger, outcome: 'not_ours' });
      else if (await this.fromItsCalendar(envelope, ours, eventTypeId, inCalendar, trigger)) await this.cancelledInCalendar(envelope, ours, trigger);
    } else if (trigger === 'BOOKING_RESCHEDULED') {
      const from = typeof payload.rescheduleUid === 'string' ? await this.appointments.findByCalcomUid(payload.rescheduleUid) : null;
      if (from) {
        add(from.companyId, from.calcomEventTypeId);
        if (await this.fromItsCalendar(envelope, from, eventTypeId, inCalendar, trigger)) await this.movedInCalendar(envelope, from, trigger);
      } else calendarChanges().inc({ trigger, outcome: ours ? 'unchanged' : 'not_ours' });
    }
    for (const t of targets.values()) await this.availability.invalidate(t.companyId, t.eventTypeId);
  }

  /**
   * A booking made on Cal.com's own booking page (or entered by the business there) for a calendar one of our
   * services uses: it becomes an appointment of that company, so a caller who booked online can have the agent find,
   * move or cancel it, and gets our confirmation and reminders. Our own bookings carry `metadata.appointmentId` and are
   * never imported, even when their webhook overtakes our own commit. The customer is matched by the number given
   * (an unverified number never overwrites a known customer's details), else by e-mail, else created; the staff
   * member is the one whose Cal.com user is the booking's organiser, if they perform the service.
   */
  private async bookedInCalendar(envelope: Envelope<Change>, eventTypeId: number, inCalendar: ServiceEntity[], trigger: string): Promise<void> {
    const { payload, calcomBookingUid: uid } = envelope.data;
    const metadata = (payload.metadata ?? {}) as Record<string, unknown>;
    if (typeof metadata.appointmentId === 'string') {
      // One of ours that no appointment holds (yet): the orphan scan settles it after its grace period.
      const company = typeof metadata.companyId === 'string' ? metadata.companyId : null;
      const startsAt = instant(payload.startTime);
      if (company && startsAt && this.companies.serves(company) && inCalendar.some((sv) => sv.companyId === company) && (await this.creates.noteUnrecorded(metadata.appointmentId, company, uid, eventTypeId, startsAt))) {
        return void calendarChanges().inc({ trigger, outcome: 'unrecorded' });
      }
      return void calendarChanges().inc({ trigger, outcome: 'unchanged' });
    }
    if (typeof payload.status === 'string' && payload.status.toUpperCase() !== 'ACCEPTED') return void calendarChanges().inc({ trigger, outcome: 'not_accepted' });
    const startsAt = instant(payload.startTime);
    const endsAt = instant(payload.endTime);
    if (!startsAt || !endsAt || endsAt <= startsAt || !Number.isInteger(eventTypeId) || eventTypeId <= 0) return void calendarChanges().inc({ trigger, outcome: 'malformed' });
    // The calendar must belong to exactly one service of exactly one company; otherwise whose booking it is is a guess.
    const candidates = inCalendar.filter(
      (s) => s.active && (!envelope.companyId || envelope.companyId === s.companyId),
    );
    const companies = new Set(candidates.map((s) => s.companyId));
    const length = Number(payload.length);
    const byLength = candidates.filter((s) => s.durationMinutes === length);
    const service = candidates.length === 1 ? candidates[0] : companies.size === 1 && byLength.length === 1 ? byLength[0] : null;
    if (!service) return void calendarChanges().inc({ trigger, outcome: candidates.length ? 'ambiguous' : 'not_ours' });
    if (!this.companies.serves(service.companyId)) return;
    const company = await this.catalogue.findCompany(service.companyId);
    if (!company) return void calendarChanges().inc({ trigger, outcome: 'not_ours' });

    const attendee = (Array.isArray(payload.attendees) ? payload.attendees[0] : null) as Record<string, any> | null;
    const responses = (payload.responses ?? {}) as Record<string, { value?: unknown }>;
    const rawPhone = attendee?.phoneNumber ?? responses.attendeePhoneNumber?.value ?? payload.smsReminderNumber;
    const locale = String(attendee?.language?.locale ?? attendee?.language ?? '').slice(0, 2).toLowerCase();
    const customerDetails = {
      name: String(attendee?.name ?? responses.name?.value ?? '').trim().slice(0, 200) || 'Online booking',
      // Cal.com's phone field is international (+49…); a national number cannot be placed and is left out.
      phone: toE164(rawPhone),
      email: typeof attendee?.email === 'string' && attendee.email.includes('@') ? attendee.email.slice(0, 320) : null,
      language: /^[a-z]{2}$/.test(locale) ? locale : company.language,
      numberVerified: false,
    };
    // The Cal.com host who holds it, if that is one of the company's staff who performs this service.
    const organizerId = Number((payload.organizer as { id?: unknown } | undefined)?.id);
    let staffId: string | null = null;
    if (Number.isInteger(organizerId)) {
      const staff = (await this.catalogue.listStaff(service.companyId, { activeOnly: true })).find((s) => s.calcomUserId === organizerId);
      if (staff && (await this.catalogue.staffPerforms(service.companyId, staff.id, service.id))) staffId = staff.id;
    }
    const now = new Date();
    const appointment: AppointmentEntity = {
      id: randomUUID(),
      companyId: service.companyId,
      serviceId: service.id,
      staffId,
      customerId: '',
      callId: null,
      calcomEventTypeId: eventTypeId,
      calcomBookingUid: uid,
      startsAt,
      endsAt,
      timeZone: company.timeZone,
      status: 'booked',
      source: 'calcom',
      // Unique per company: a second delivery of this webhook cannot import it twice.
      idempotencyKey: `calcom:${uid}`,
      rescheduledCount: 0,
      composite: false,
      notes: typeof payload.additionalNotes === 'string' ? payload.additionalNotes.slice(0, 1000) : null,
      cancelledAt: null,
      cancellationReason: null,
      cancelledBy: null,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.outbox.transaction(async (manager, publish) => {
        const customer = await this.customers.upsert(manager, service.companyId, customerDetails, now);
        appointment.customerId = customer.id;
        await manager.getRepository(AppointmentEntity).insert(appointment);
        await publish({ topic: Topics.bookingCreated.name, key: appointment.id, companyId: service.companyId, subject: appointment.id, data: appointmentEventData(appointment, service, customer) });
      });
    } catch (error) {
      if (isDuplicateKeyError(error)) return void calendarChanges().inc({ trigger, outcome: 'unchanged' });
      throw error;
    }
    calendarChanges().inc({ trigger, outcome: 'applied' });
    this.logger.info({ companyId: service.companyId, appointmentId: appointment.id, calcomBookingUid: uid }, 'booking made in Cal.com: imported as an appointment');
  }

  /**
   * A change applies only when the booking it reports is in a calendar of the company that owns the appointment: its
   * event type is the appointment's (or a step's), or one of that company's services uses it. A uid alone is not
   * enough (another tenant's Cal.com could report the same uid); the rest is counted (`outcome="foreign"`) and logged.
   */
  private async fromItsCalendar(envelope: Envelope<Change>, a: AppointmentEntity, eventTypeId: number, inCalendar: ServiceEntity[], trigger: string): Promise<boolean> {
    const steps = a.composite ? await this.appointments.steps(a.companyId, a.id) : [];
    const calendars = new Set([a.calcomEventTypeId, ...steps.map((st) => st.calcomEventTypeId)]);
    if (Number.isInteger(eventTypeId) && (calendars.has(eventTypeId) || inCalendar.some((sv) => sv.companyId === a.companyId))) return true;
    calendarChanges().inc({ trigger, outcome: 'foreign' });
    this.logger.warn(
      { companyId: a.companyId, appointmentId: a.id, calcomBookingUid: envelope.data.calcomBookingUid, eventTypeId: envelope.data.payload.eventTypeId ?? null, envelopeId: envelope.id },
      "Cal.com change of a booking in a calendar that is not the appointment's company's: not applied",
    );
    return false;
  }

  private mine(envelope: Envelope<Change>, a: AppointmentEntity): boolean {
    return (!envelope.companyId || envelope.companyId === a.companyId) && this.companies.serves(a.companyId);
  }

  private async cancelledInCalendar(envelope: Envelope<Change>, found: AppointmentEntity, trigger: string): Promise<void> {
    if (!this.mine(envelope, found)) return;
    const reasonGiven = envelope.data.payload.cancellationReason;
    const reason = typeof reasonGiven === 'string' && reasonGiven.trim() ? reasonGiven.trim().slice(0, 500) : 'Cancelled in the calendar';
    await this.appointmentsService.withAppointmentLock(found.companyId, found.id, `calendar:${envelope.id}`, async () => {
      const current = await this.appointments.findById(found.companyId, found.id);
      // Our own cancellation's echo, a redelivery, or a uid this appointment no longer holds: nothing to do.
      if (!current || current.status !== 'booked' || current.calcomBookingUid !== envelope.data.calcomBookingUid) {
        calendarChanges().inc({ trigger, outcome: 'unchanged' });
        return;
      }
      const [service] = await this.catalogue.findServicesByIds(current.companyId, [current.serviceId]);
      const customer = await this.customers.findById(current.companyId, current.customerId);
      if (!service || !customer) throw new Error(`appointment ${current.id} lacks its service or customer`);
      const applied = await this.outbox.transaction((manager, publish) =>
        this.appointmentsService.commitCancellation(manager, publish, current, service, customer, { reason, cancelledBy: 'business' }),
      );
      if (!applied) return;
      calendarChanges().inc({ trigger, outcome: 'applied' });
      this.logger.info({ companyId: current.companyId, appointmentId: current.id, calcomBookingUid: current.calcomBookingUid }, 'appointment cancelled in Cal.com: applied');
    });
  }

  private async movedInCalendar(envelope: Envelope<Change>, found: AppointmentEntity, trigger: string): Promise<void> {
    if (!this.mine(envelope, found)) return;
    const { payload } = envelope.data;
    const startsAt = instant(payload.startTime);
    const endsAt = instant(payload.endTime);
    if (!startsAt || !endsAt || endsAt <= startsAt) {
      calendarChanges().inc({ trigger, outcome: 'malformed' });
      this.logger.warn({ uid: envelope.data.calcomBookingUid }, 'Cal.com reschedule without a usable startTime/endTime: ignored');
      return;
    }
    const fromUid = payload.rescheduleUid as string;
    await this.appointmentsService.withAppointmentLock(found.companyId, found.id, `calendar:${envelope.id}`, async () => {
      const current = await this.appointments.findById(found.companyId, found.id);
      // Our own move's echo (it already holds the new uid), a redelivery, or an older move arriving late.
      if (!current || current.status !== 'booked' || current.calcomBookingUid !== fromUid || current.composite) {
        calendarChanges().inc({ trigger, outcome: current?.composite ? 'composite' : 'unchanged' });
        return;
      }
      const [service] = await this.catalogue.findServicesByIds(current.companyId, [current.serviceId]);
      const customer = await this.customers.findById(current.companyId, current.customerId);
      if (!service || !customer) throw new Error(`appointment ${current.id} lacks its service or customer`);
      const now = new Date();
      // The business moved it: its count of the customer's own reschedules (a policy limit) stays as it is.
      const moved: AppointmentEntity = { ...current, startsAt, endsAt, calcomBookingUid: envelope.data.calcomBookingUid, updatedAt: now };
      // Under the appointment's lock and checked above: the appointment still holds `fromUid`.
      await this.outbox.transaction((manager, publish) =>
        this.appointmentsService.commitReschedule(manager, publish, { callId: null, idempotencyKey: null, decision: null }, current, moved, service, customer),
      );
      calendarChanges().inc({ trigger, outcome: 'applied' });
      this.logger.info({ companyId: current.companyId, appointmentId: current.id, from: fromUid, to: moved.calcomBookingUid }, 'appointment moved in Cal.com: applied');
    });
  }
}
