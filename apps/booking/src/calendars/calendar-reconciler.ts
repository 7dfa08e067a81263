import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { ReconciliationFindingKind, Topics, createEnvelope, messageIdFrom } from '@receptionist/contracts';
import { LOGGER, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { BookingEnv } from '../config';
import { AppointmentEntity, AppointmentStepEntity } from '../appointments/appointment.entities';
import { AppointmentsRepository } from '../appointments/appointments.repository';
import { CalendarChangesHandler } from '../appointments/calendar-changes.handler';
import { PendingCreateEntity } from '../appointments/pending-create.entity';
import { CalcomApiError, CalcomBooking, CalendarProvider, CalendarProviders } from '../calcom';

export interface Finding {
  kind: ReconciliationFindingKind;
  calcomBookingUid: string;
  appointmentId: string | null;
  detail: string;
}

/** Cal.com's page size maximum (domain.md §2.3): fewest requests per booking read. */
const PAGE = 250;

/** A booking as Cal.com's webhook would have carried it (CalendarEvent), for the same path webhooks take. */
function asWebhookPayload(b: CalcomBooking): Record<string, unknown> {
  return {
    uid: b.uid,
    bookingId: b.id,
    title: b.title,
    eventTypeId: b.eventTypeId ?? b.eventType?.id,
    startTime: b.start,
    endTime: b.end,
    length: b.duration,
    status: b.status.toUpperCase(),
    metadata: b.metadata ?? {},
    attendees: b.attendees.map((a) => ({ name: a.name, email: a.email, timeZone: a.timeZone, language: { locale: a.language ?? '' }, ...(a.phoneNumber ? { phoneNumber: a.phoneNumber } : {}) })),
    ...(b.hosts?.[0] ? { organizer: { id: b.hosts[0].id } } : {}),
    ...(b.rescheduledFromUid ? { rescheduleUid: b.rescheduledFromUid } : {}),
    ...(b.cancellationReason ? { cancellationReason: b.cancellationReason } : {}),
  };
}

/**
 * One company's calendar against our appointments: pages of the bookings changed since the cursor (oldest change first)
 * are compared one by one and drift is repaired through the very path Cal.com's webhooks take (CalendarChangesHandler),
 * so a repair is what the lost webhook would have done, and doing it twice changes nothing. Our own bookings that no
 * appointment holds (orphans) are adopted by the appointment they name when it lacks its booking, else cancelled once
 * older than the orphan grace period (younger ones may be a create still in flight).
 */
@Injectable()
export class CalendarReconciler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: CalendarProviders,
    private readonly appointments: AppointmentsRepository,
    private readonly changes: CalendarChangesHandler,
    @Inject(SERVICE_CONFIG) private readonly config: BookingEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async pages(companyId: string, since: string | null, skip: number, maxRequests: number) {
    const calendar = this.providers.of(companyId);
    const findings: Finding[] = [];
    let requests = 0;
    let scanned = 0;
    let next = skip;
    let complete = false;
    while (requests < maxRequests) {
      const page = await calendar.listBookings({ ...(since ? { afterUpdatedAt: since } : {}), sortUpdatedAt: 'asc', take: PAGE, skip: next });
      requests++;
      for (const b of page.bookings) {
        scanned++;
        try {
          const f = await this.compare(companyId, calendar, b);
          if (f) findings.push(f);
        } catch (error) {
          this.logger.warn({ err: error, companyId, uid: b.uid }, 'reconciliation of a booking failed; the next run tries again');
          findings.push({ kind: 'not_repaired', calcomBookingUid: b.uid, appointmentId: null, detail: (error as Error).message.slice(0, 300) });
        }
      }
      next += page.bookings.length;
      if (!page.hasNextPage || page.bookings.length === 0) {
        complete = true;
        break;
      }
    }
    return { findings, requests, scanned, nextSkip: next, complete };
  }

  private async compare(companyId: string, calendar: CalendarProvider, b: CalcomBooking): Promise<Finding | null> {
    const ours = await this.appointments.findByCalcomUid(b.uid);
    if (ours && ours.companyId !== companyId) return null;
    const active = b.status === 'accepted' || b.status === 'pending';
    if (ours) {
      if (ours.status !== 'booked') return null;
      if (!active && !b.rescheduledToUid) {
        await this.replay(companyId, 'BOOKING_CANCELLED', b);
        return this.outcome(ours.id, b, 'missed_cancel', (a) => a.status === 'cancelled', `cancelled in the calendar${b.cancellationReason ? `: ${b.cancellationReason}` : ''}`);
      }
      if (active && Date.parse(b.start) !== ours.startsAt.getTime() && !ours.composite) {
        return { kind: 'start_differs', calcomBookingUid: b.uid, appointmentId: ours.id, detail: `calendar ${b.start}, ours ${ours.startsAt.toISOString()}` };
      }
      return null;
    }
    if (!active) return null;
    if (await this.dataSource.getRepository(AppointmentStepEntity).existsBy({ calcomBookingUid: b.uid })) return null;
    if (b.rescheduledFromUid) {
      const from = await this.appointments.findByCalcomUid(b.rescheduledFromUid);
      if (from && from.companyId === companyId && from.status === 'booked') {
        await this.replay(companyId, 'BOOKING_RESCHEDULED', b);
        return this.outcome(from.id, b, 'missed_reschedule', (a) => a.calcomBookingUid === b.uid, `moved in the calendar to ${b.start}`);
      }
    }
    const meta = (b.metadata ?? {}) as Record<string, unknown>;
    if (typeof meta.appointmentId === 'string') return meta.companyId === companyId ? this.orphan(companyId, calendar, b, meta.appointmentId) : null;
    await this.replay(companyId, 'BOOKING_CREATED', b);
    const imported = await this.appointments.findByCalcomUid(b.uid);
    return imported && imported.companyId === companyId ? { kind: 'missed_create', calcomBookingUid: b.uid, appointmentId: imported.id, detail: `booked in the calendar for ${b.start}` } : null;
  }

  private async orphan(companyId: string, calendar: CalendarProvider, b: CalcomBooking, appointmentId: string): Promise<Finding | null> {
    if (Date.now() - Date.parse(b.createdAt) < this.config.CALCOM_ORPHAN_GRACE_MS) return null;
    if (await this.dataSource.getRepository(PendingCreateEntity).existsBy({ id: appointmentId, state: 'pending' })) return null; // the orphan scan settles it
    const named = await this.dataSource.getRepository(AppointmentEntity).findOneBy({ id: appointmentId, companyId });
    if (named && named.status === 'booked' && !named.calcomBookingUid && !named.composite && named.startsAt.getTime() === Date.parse(b.start)) {
      await this.dataSource.getRepository(AppointmentEntity).update({ id: named.id, calcomBookingUid: null as never }, { calcomBookingUid: b.uid });
      return { kind: 'orphan_adopted', calcomBookingUid: b.uid, appointmentId, detail: 'held by the appointment it names' };
    }
    try {
      await calendar.cancelBooking(b.uid, { cancellationReason: 'not recorded by the receptionist; cancelled automatically' });
    } catch (error) {
      if (!(error instanceof CalcomApiError && (error.isNotFound || /cancel/i.test(error.message)))) throw error;
    }
    return { kind: 'orphan_cancelled', calcomBookingUid: b.uid, appointmentId, detail: named ? `appointment ${named.status} holds another booking` : 'no appointment holds it' };
  }

  private async replay(companyId: string, trigger: string, b: CalcomBooking): Promise<void> {
    await this.changes.onChanged(
      createEnvelope({
        id: messageIdFrom(`reconcile:${trigger}:${b.uid}:${b.updatedAt ?? b.createdAt}`),
        type: Topics.calcomBookingChanged.name,
        source: 'booking',
        companyId,
        subject: b.uid,
        data: { trigger, calcomBookingUid: b.uid, payload: asWebhookPayload(b) },
      }),
    );
  }

  private async outcome(appointmentId: string, b: CalcomBooking, kind: ReconciliationFindingKind, repaired: (a: AppointmentEntity) => boolean, detail: string): Promise<Finding> {
    const after = await this.dataSource.getRepository(AppointmentEntity).findOneBy({ id: appointmentId });
    if (after && repaired(after)) return { kind, calcomBookingUid: b.uid, appointmentId, detail };
    return { kind: 'not_repaired', calcomBookingUid: b.uid, appointmentId, detail: `${kind}: ${detail}; not applied` };
  }
}
