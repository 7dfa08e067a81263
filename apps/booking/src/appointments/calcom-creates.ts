import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { DataSource, EntityManager, In, LessThan } from 'typeorm';
import { getOrCreateMetric, registry } from '@receptionist/observability';
import { LOGGER, SERVICE_CONFIG } from '@receptionist/service-runtime';
import { CalcomApiError, CalcomBooking, CalcomUnavailableError, CalendarProviders, CreateBookingInput } from '../calcom';
import type { BookingEnv } from '../config';
import { AppointmentEntity, AppointmentStepEntity } from './appointment.entities';
import { PendingCreateEntity } from './pending-create.entity';

/** Cal.com bookings of ours whose create we never saw recorded, by what the orphan scan did (adopted, cancelled). */
const orphans = () =>
  getOrCreateMetric('booking_calcom_orphans_total', () =>
    new Counter({ name: 'booking_calcom_orphans_total', help: 'Cal.com bookings left by a create whose outcome was unknown, by outcome', labelNames: ['outcome'], registers: [registry] }),
  );
/** Cal.com answers to a create that were not this request's booking (an older or another caller's booking). */
const foreignAnswers = () =>
  getOrCreateMetric('booking_calcom_foreign_create_answers_total', () =>
    new Counter({ name: 'booking_calcom_foreign_create_answers_total', help: 'Cal.com create answers that were not the booking just requested', registers: [registry] }),
  );

/** Cal.com answered a create with a booking that is not this request's: nothing was booked for the caller. */
export class NotThisRequestsBooking extends Error {
  override readonly name = 'NotThisRequestsBooking';
}

/** Failures after which Cal.com has certainly not booked: the pending record can go at once. */
const NOT_SENT = new Set(['circuit_open', 'rate_limited', 'not_configured']);
/** Clock difference between Cal.com and us that a "created just now" check tolerates. */
const CLOCK_SKEW_MS = 60_000;

export interface CreateRequest {
  companyId: string;
  idempotencyKey: string;
  eventTypeId: number;
  startMs: number;
  input: CreateBookingInput;
  /** The caller's deadline (epoch ms): a 429 is retried until then. */
  retryUntil: number;
}

/** A Cal.com booking accepted as this request's, with the appointment id it carries and the pending records to close. */
export interface MadeBooking {
  booking: CalcomBooking;
  appointmentId: string;
  pendingIds: string[];
  companyId: string;
}

/**
 * Cal.com creates that never leave a booking behind. Before the create goes out a pending record is committed; the
 * transaction that records the appointment deletes it. A create whose outcome is unknown (a timeout, a 2xx we cannot
 * read, a crash before our commit) is looked for in Cal.com by our `metadata.appointmentId`: found at once, it is
 * recorded; otherwise the orphan scan settles it after a grace period: kept when an appointment holds it (the request
 * committed after all, or its retry adopted it), cancelled otherwise. A create answer is accepted only when it is this
 * request's booking: our appointment id (or an earlier attempt's of the same request), the start, the attendee, and
 * created just now.
 */
@Injectable()
export class CalcomCreates {
  constructor(
    private readonly dataSource: DataSource,
    private readonly calendars: CalendarProviders,
    @Inject(SERVICE_CONFIG) private readonly config: BookingEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  private get rows() {
    return this.dataSource.getRepository(PendingCreateEntity);
  }

  /** The pending record of the creates about to be sent for `appointmentId` (committed before they go out). */
  async begin(appointmentId: string, req: Pick<CreateRequest, 'companyId' | 'idempotencyKey' | 'eventTypeId' | 'startMs'>): Promise<PendingCreateEntity> {
    const row: PendingCreateEntity = {
      id: appointmentId,
      companyId: req.companyId,
      idempotencyKey: req.idempotencyKey,
      calcomEventTypeId: req.eventTypeId,
      startsAt: new Date(req.startMs),
      state: 'pending',
      createdAt: new Date(),
    };
    await this.rows.insert(row);
    return row;
  }

  /** Cal.com certainly made no booking for this failure (a refusal, or a request it never processed). */
  static certainlyNotBooked(error: unknown): boolean {
    return error instanceof CalcomApiError || (error instanceof CalcomUnavailableError && NOT_SENT.has(error.reason));
  }

  /** Cancels bookings we made but cannot record; true when all are gone (a failure is left to the orphan scan). */
  async cancelAll(companyId: string, uids: string[], why: string): Promise<boolean> {
    let all = true;
    for (const uid of uids) {
      await this.cancel(companyId, uid, why).catch((error) => {
        all = false;
        this.logger.warn({ err: error, uid }, 'compensating Cal.com cancel failed; the orphan scan retries it');
      });
    }
    return all;
  }

  /** Creates the Cal.com booking for `appointmentId`; throws CalcomApiError / CalcomUnavailableError / NotThisRequestsBooking. */
  async create(appointmentId: string, req: CreateRequest): Promise<MadeBooking> {
    const row = await this.begin(appointmentId, req);
    let booking: CalcomBooking;
    try {
      // No deadline signal on the write: a booking that Cal.com makes after the caller gave up is still recorded.
      booking = await this.calendars.of(req.companyId).createBooking({ eventTypeId: req.eventTypeId }, req.input, { retryUntil: req.retryUntil });
    } catch (error) {
      if (CalcomCreates.certainlyNotBooked(error)) {
        await this.forget([row.id]);
        throw error;
      }
      // Outcome unknown (timeout, network, 5xx, an answer we cannot read): a booking may exist. Record it if it does.
      const found = await this.findOurs(row).catch(() => []);
      const mine = found.find((b) => this.isThisRequests(b, row, req.input));
      if (!mine) throw error; // the pending record stays for the orphan scan
      this.logger.warn({ companyId: req.companyId, uid: mine.uid, reason: (error as Error).message }, 'Cal.com create answer lost; found the booking and recording it');
      return { booking: mine, appointmentId, pendingIds: [row.id], companyId: req.companyId };
    }
    if (this.isThisRequests(booking, row, req.input)) return { booking, appointmentId, pendingIds: [row.id], companyId: req.companyId };
    // Cal.com's duplicate check answers an earlier attempt's booking of this same request with that booking.
    const earlier = await this.earlierRows(req.companyId, req.idempotencyKey, row.id);
    const theirs = earlier.find((e) => e.id === booking.metadata?.appointmentId);
    if (theirs && this.isThisRequests(booking, theirs, req.input) && !(await this.heldByAppointment(booking.uid))) {
      return { booking, appointmentId: theirs.id, pendingIds: [row.id, theirs.id], companyId: req.companyId };
    }
    if (booking.metadata?.appointmentId === row.id) {
      // Ours, but not what was asked (another start, unconfirmed, …): undone now, or by the orphan scan.
      if (await this.cancelAll(req.companyId, [booking.uid], 'not the booking requested; cancelled automatically')) await this.forget([row.id]);
      throw new NotThisRequestsBooking(`Cal.com booked ${booking.uid} differently from the request`);
    }
    // Someone else's or an old booking: nothing was created for this request, and that booking is not ours to touch.
    await this.forget([row.id]);
    foreignAnswers().inc();
    this.logger.warn({ companyId: req.companyId, uid: booking.uid, createdAt: booking.createdAt, start: booking.start }, 'Cal.com answered a create with a booking that is not this request\'s');
    throw new NotThisRequestsBooking(`Cal.com answered with booking ${booking.uid}, not the one requested`);
  }

  /**
   * A retry meeting its own earlier attempt's booking in Cal.com (the attempt died between Cal.com's answer and our
   * commit): that booking is adopted instead of booking again.
   */
  async earlierAttempt(req: CreateRequest): Promise<MadeBooking | null> {
    for (const row of await this.earlierRows(req.companyId, req.idempotencyKey)) {
      if (row.startsAt.getTime() !== req.startMs || row.calcomEventTypeId !== req.eventTypeId) continue;
      const found = (await this.findOurs(row)).find((b) => this.isThisRequests(b, row, req.input, false));
      if (found && !(await this.heldByAppointment(found.uid))) {
        this.logger.warn({ companyId: req.companyId, uid: found.uid }, 'adopting the Cal.com booking of an earlier attempt of this request');
        return { booking: found, appointmentId: row.id, pendingIds: [row.id], companyId: req.companyId };
      }
    }
    return null;
  }

  /** In the appointment's transaction: closes the pending records, or fails (rolls back) if the orphan scan took one. */
  async closeIn(manager: EntityManager, pendingIds: string[]): Promise<void> {
    const result = await manager.getRepository(PendingCreateEntity).delete({ id: In(pendingIds), state: 'pending' });
    if ((result.affected ?? 0) < pendingIds.length) throw new Error('the Cal.com booking was already given up by the orphan scan');
  }

  /**
   * Cal.com reported a booking of ours (our metadata) that no appointment holds: unless its create is still pending,
   * or the appointment it names exists, it is put on the orphan scan's list. True when it was put there.
   */
  async noteUnrecorded(appointmentId: string, companyId: string, uid: string, eventTypeId: number, startsAt: Date): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/i.test(appointmentId) || (await this.heldByAppointment(uid))) return false;
    if (await this.dataSource.getRepository(AppointmentEntity).existsBy({ id: appointmentId })) return false;
    const result = await this.dataSource.query(
      `INSERT IGNORE INTO calcom_pending_create (id, company_id, idempotency_key, calcom_event_type_id, starts_at, state, created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)`,
      [appointmentId, companyId, `calcom-webhook:${uid}`.slice(0, 200), eventTypeId, startsAt, new Date()],
    );
    return (result.affectedRows ?? 0) > 0;
  }

  async forget(ids: string[]): Promise<void> {
    if (ids.length) await this.rows.delete({ id: In(ids) });
  }

  /** Undoes a booking we could not record, unless an appointment holds it; a failure leaves it to the orphan scan. */
  async undo(made: MadeBooking, why: string): Promise<void> {
    try {
      if (!(await this.heldByAppointment(made.booking.uid))) await this.cancel(made.companyId, made.booking.uid, why);
      await this.forget(made.pendingIds);
    } catch (error) {
      this.logger.warn({ err: error, uid: made.booking.uid }, 'compensating Cal.com cancel failed; the orphan scan retries it');
    }
  }

  /** One pass of the orphan scan: every pending create older than the grace period is settled. */
  async scan(now = Date.now()): Promise<{ adopted: number; cancelled: number }> {
    const due = await this.rows.find({ where: { createdAt: LessThan(new Date(now - this.config.CALCOM_ORPHAN_GRACE_MS)) }, order: { createdAt: 'ASC' }, take: 50 });
    const total = { adopted: 0, cancelled: 0 };
    for (const row of due) {
      try {
        const r = await this.settle(row);
        total.adopted += r.adopted;
        total.cancelled += r.cancelled;
      } catch (error) {
        this.logger.warn({ err: error, pendingId: row.id }, 'pending Cal.com create not settled; retried next scan');
      }
    }
    return total;
  }

  private async settle(row: PendingCreateEntity): Promise<{ adopted: number; cancelled: number }> {
    // Decided under the row's lock: from here a late commit of the request (which deletes only a pending row) fails.
    if (row.state === 'pending') {
      const claimed = await this.rows.update({ id: row.id, state: 'pending' }, { state: 'cancelling' });
      if (!claimed.affected) return { adopted: 0, cancelled: 0 };
    }
    let adopted = 0;
    let cancelled = 0;
    for (const b of await this.findOurs(row)) {
      if (await this.heldByAppointment(b.uid)) {
        adopted++;
        orphans().inc({ outcome: 'adopted' });
        continue;
      }
      await this.cancel(row.companyId, b.uid, 'not recorded by the receptionist; cancelled automatically');
      cancelled++;
      orphans().inc({ outcome: 'cancelled' });
      this.logger.warn({ companyId: row.companyId, uid: b.uid, pendingId: row.id }, 'orphaned Cal.com booking cancelled');
    }
    await this.rows.delete({ id: row.id });
    return { adopted, cancelled };
  }

  private async cancel(companyId: string, uid: string, reason: string): Promise<void> {
    try {
      await this.calendars.of(companyId).cancelBooking(uid, { cancellationReason: reason });
    } catch (error) {
      // Already cancelled or gone: the calendar agrees with us.
      if (!(error instanceof CalcomApiError && (error.isNotFound || /cancel/i.test(error.message)))) throw error;
    }
  }

  /** Active Cal.com bookings carrying this pending create's appointment id, around its start (every step of a composite one). */
  private async findOurs(row: PendingCreateEntity): Promise<CalcomBooking[]> {
    const start = row.startsAt.getTime();
    const { bookings } = await this.calendars.of(row.companyId).listBookings({
      afterStart: new Date(start - 60_000).toISOString(),
      beforeEnd: new Date(start + 24 * 3_600_000).toISOString(),
      take: 250,
    });
    return bookings.filter((b) => (b.status === 'accepted' || b.status === 'pending') && b.metadata?.appointmentId === row.id);
  }

  private earlierRows(companyId: string, idempotencyKey: string, exceptId?: string): Promise<PendingCreateEntity[]> {
    return this.rows.find({ where: { companyId, idempotencyKey, state: 'pending' } }).then((rows) => rows.filter((r) => r.id !== exceptId));
  }

  private async heldByAppointment(uid: string): Promise<boolean> {
    if (await this.dataSource.getRepository(AppointmentEntity).existsBy({ calcomBookingUid: uid })) return true;
    return this.dataSource.getRepository(AppointmentStepEntity).existsBy({ calcomBookingUid: uid });
  }

  /** This request's booking: our appointment id, the start asked for, our attendee, and (for a fresh answer) made just now. */
  private isThisRequests(b: CalcomBooking, row: PendingCreateEntity, input: CreateBookingInput, fresh = true): boolean {
    if (b.status !== 'accepted' || b.metadata?.appointmentId !== row.id) return false;
    if (Date.parse(b.start) !== row.startsAt.getTime()) return false;
    if (fresh && Date.parse(b.createdAt) < row.createdAt.getTime() - CLOCK_SKEW_MS) return false;
    const { phoneNumber, email } = input.attendee;
    return b.attendees.some((a) => (!!phoneNumber && a.phoneNumber === phoneNumber) || (!!email && a.email.toLowerCase() === email.toLowerCase()));
  }
}
