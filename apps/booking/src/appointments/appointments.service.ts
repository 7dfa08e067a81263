import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import type { z } from 'zod';
import { Topics, bookingRequestSchema } from '@receptionist/contracts';
import { Outbox, isDuplicateKeyError } from '@receptionist/messaging';
import { LOGGER } from '@receptionist/service-runtime';
import { SlotHolds } from '../availability/slot-holds';
import { AvailabilityService, PlannedStep, SlotContext } from '../availability/availability.service';
import { checkStart } from '../availability/booking-rules';
import { CalcomApiError, CalcomUnavailableError, CalendarProviders } from '../calcom';
import type { ServiceEntity, StaffEntity } from '../catalogue/catalogue.entities';
import { CatalogueRepository } from '../catalogue/catalogue.repository';
import { BookingContext, CatalogueService } from '../catalogue/catalogue.service';
import { BookingFailure } from '../common/booking-failure';
import { MINUTE_MS, formatInZone } from '../common/zoned-time';
import { CustomerEntity } from '../customers/customer.entity';
import { CustomersRepository } from '../customers/customers.repository';
import { CustomerRef, CustomersService, customerView } from '../customers/customers.service';
import { AppointmentChangeEntity, AppointmentEntity, AppointmentStepEntity, CancelledBy } from './appointment.entities';
import { appointmentEventData, appointmentView } from './appointment-views';
import { AppointmentsRepository } from './appointments.repository';
import { PolicyDecision, decideCancel, decideReschedule, effectivePolicies } from './policy';
import { CalcomCreates, CreateRequest, MadeBooking, NotThisRequestsBooking } from './calcom-creates';
import { CalendarLocks, LockLease } from './calendar-lock';

type Req = z.output<typeof bookingRequestSchema>;
type Publish = Parameters<Parameters<Outbox['transaction']>[0]>[1];
export type BookRequest = Extract<Req, { operation: 'appointment.book' }>;
export type ListRequest = Extract<Req, { operation: 'appointment.list' }>;
export type CancelRequest = Extract<Req, { operation: 'appointment.cancel' }>;
export type RescheduleRequest = Extract<Req, { operation: 'appointment.reschedule' }>;

/** How long a change waits for another change of the same appointment. */
const SAME_REQUEST_WAIT_MS = 8_000;
/** How long a booking waits for another booking of the same calendar (or its own earlier attempt) to finish. */
const CALENDAR_LOCK_WAIT_MS = 5_000;
/** A request without a deadline (admin API, tests) is treated as one with this much time. */
const DEFAULT_DEADLINE_MS = 8_000;
/** The wait for a calendar's lock: bounded, and leaving a second for the booking itself before the deadline. */
const lockWait = (deadline: number) => Math.max(0, Math.min(CALENDAR_LOCK_WAIT_MS, deadline - Date.now() - 1_000));

/**
 * Booking, listing, cancelling and moving appointments. Every write to Cal.com happens under a Redis lock
 * (slot, and appointment for changes); every local change commits with its event through the outbox.
 */
@Injectable()
export class AppointmentsService {
  constructor(
    private readonly catalogue: CatalogueService,
    private readonly catalogueRepo: CatalogueRepository,
    private readonly availability: AvailabilityService,
    private readonly appointments: AppointmentsRepository,
    private readonly customers: CustomersService,
    private readonly customersRepo: CustomersRepository,
    private readonly calendars: CalendarProviders,
    private readonly locks: CalendarLocks,
    private readonly holds: SlotHolds,
    private readonly creates: CalcomCreates,
    private readonly outbox: Outbox,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  // ---- book -----------------------------------------------------------------------------------------------

  async book(req: BookRequest, signal?: AbortSignal, deadline = Date.now() + DEFAULT_DEADLINE_MS) {
    if (!req.customer.phone && !req.customer.email) throw new BookingFailure('invalid_request', 'customer: a phone number or an e-mail address is required');
    const ctx = await this.catalogue.requireBookable(req.companyId, req.serviceId, req.staffId);
    const replay = await this.replayBooking(req);
    if (replay) return replay;

    const startMs = Date.parse(req.start);
    await this.checkStartWithAlternatives(ctx, startMs, undefined, req.callId);
    if (ctx.service.steps?.length) return this.bookComposite(req, ctx, startMs, signal);

    // The whole calendar (event type, and the staff member when one is asked for), not just this start: a booking at
    // another but overlapping time waits for this one and then sees it.
    const owner = CalendarLocks.owner(`book:${req.idempotencyKey}`);
    const keys = [this.locks.calendarKey(req.companyId, ctx.service.calcomEventTypeId), ...(ctx.staff ? [this.locks.staffKey(req.companyId, ctx.staff.id)] : [])];
    const got = await this.locks.holdAll(keys, owner, lockWait(deadline), signal);
    if ('busy' in got) {
      // Our own first attempt (Retell retried the call) still running: its result is ours if it is there by now.
      if (got.busy === 'same') {
        const done = await this.replayBooking(req);
        if (done) return done;
      }
      throw await this.slotTaken(ctx, startMs, 'the calendar is being booked by another caller');
    }
    try {
      const booked = await this.bookLocked(req, ctx, startMs, got.lease, deadline, signal);
      // The slot the call held while the caller decided is booked now: its hold has done its job.
      if (req.callId) await this.holds.release(req.companyId, req.callId).catch((e) => this.logger.warn({ err: e }, 'slot hold not released; it expires'));
      return booked;
    } finally {
      await got.lease.release().catch((e) => this.logger.warn({ err: e }, 'calendar lock not released; it expires'));
    }
  }

  /** Our lock was taken over by a retry of this same request: its result is ours; we write nothing. */
  private async awaitSuccessor(req: BookRequest, ctx: BookingContext, startMs: number, deadline: number) {
    while (Date.now() < deadline) {
      const done = await this.replayBooking(req);
      if (done) return done;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw await this.slotTaken(ctx, startMs, 'a retry of this request took over the booking');
  }

  private async replayBooking(req: BookRequest) {
    const existing = await this.appointments.findByIdempotencyKey(req.companyId, req.idempotencyKey);
    if (!existing) return null;
    return { ...(await this.describe(existing)), replayed: true };
  }

  private async bookLocked(req: BookRequest, ctx: BookingContext, startMs: number, lease: LockLease, deadline: number, signal?: AbortSignal) {
    const { company, service } = ctx;
    // A retry that waited for (or took over from) its own earlier attempt: that attempt may have recorded it.
    const replay = await this.replayBooking(req);
    if (replay) return replay;
    const endMs = startMs + service.durationMinutes * MINUTE_MS;
    const local = await this.appointments.overlapping(req.companyId, service.calcomEventTypeId, new Date(startMs), new Date(endMs));
    if (local.length > 0) throw await this.slotTaken(ctx, startMs, 'overlaps a booked appointment');
    if (ctx.staff && (await this.appointments.staffBusy(req.companyId, ctx.staff.id, new Date(startMs), new Date(endMs))).length) {
      throw await this.staffUnavailable(ctx, startMs);
    }
    const create: CreateRequest = {
      companyId: req.companyId,
      idempotencyKey: req.idempotencyKey,
      eventTypeId: service.calcomEventTypeId,
      startMs,
      retryUntil: deadline,
      input: {
        start: new Date(startMs).toISOString(),
        attendee: {
          name: req.customer.name,
          timeZone: company.timeZone,
          language: req.customer.language,
          ...(req.customer.email ? { email: req.customer.email } : {}),
          ...(req.customer.phone ? { phoneNumber: req.customer.phone } : {}),
        },
        metadata: {},
        ...(req.notes ? { bookingFieldsResponses: { notes: req.notes } } : {}),
      },
    };
    let made: MadeBooking | null;
    try {
      // An earlier attempt of this request that died after Cal.com booked: its booking is this request's.
      made = await this.creates.earlierAttempt(create);
      if (!made) {
        if (!(await this.availability.isFree(ctx, startMs, { signal, callId: req.callId }))) throw await this.slotTaken(ctx, startMs, 'Cal.com no longer offers this slot');
        if (!(await lease.stillHeld())) throw await this.slotTaken(ctx, startMs, 'the calendar lock was lost before booking');
        const appointmentId = randomUUID();
        create.input.metadata = { appointmentId, companyId: req.companyId, ...(req.callId ? { callId: req.callId } : {}), ...staffMetadata(ctx.staff) };
        made = await this.creates.create(appointmentId, create);
      }
    } catch (error) {
      await this.availability.invalidate(req.companyId, service.calcomEventTypeId);
      if (error instanceof BookingFailure) throw error;
      if (error instanceof NotThisRequestsBooking) throw await this.slotTaken(ctx, startMs, 'Cal.com answered with a booking that is not this one');
      throw await this.calcomFailure(error, ctx, startMs);
    }
    const { booking, appointmentId } = made;

    const now = new Date();
    const appointment: AppointmentEntity = {
      id: appointmentId,
      companyId: req.companyId,
      serviceId: service.id,
      staffId: ctx.staff?.id ?? null,
      customerId: '',
      callId: req.callId,
      calcomEventTypeId: service.calcomEventTypeId,
      calcomBookingUid: booking.uid,
      startsAt: new Date(startMs),
      endsAt: new Date(endMs),
      timeZone: company.timeZone,
      status: 'booked',
      source: req.source,
      idempotencyKey: req.idempotencyKey,
      rescheduledCount: 0,
      notes: req.notes,
      cancelledAt: null,
      cancellationReason: null,
      cancelledBy: null,
      createdAt: now,
      updatedAt: now,
    };
    let customer: CustomerEntity;
    try {
      // Fence: a lock taken over by a retry of this request means that retry records it (or the orphan scan settles it).
      if (!(await lease.stillHeld())) return await this.awaitSuccessor(req, ctx, startMs, deadline);
      customer = await this.outbox.transaction(async (manager, publish) => {
        await this.creates.closeIn(manager, made.pendingIds);
        const c = await this.customersRepo.upsert(manager, req.companyId, req.customer, now);
        appointment.customerId = c.id;
        await manager.getRepository(AppointmentEntity).insert(appointment);
        await publish({
          topic: Topics.bookingCreated.name,
          key: appointment.id,
          companyId: req.companyId,
          subject: appointment.id,
          data: appointmentEventData(appointment, service, c),
        });
        return c;
      });
    } catch (error) {
      // Never leave a Cal.com booking nobody knows about: undo it unless an appointment holds it (a retry of this
      // request recorded it); what cannot be undone now stays pending for the orphan scan.
      await this.creates.undo(made, 'not recorded by the receptionist; cancelled automatically');
      // Another attempt of this request recorded it first: its appointment is the answer.
      if (isDuplicateKeyError(error)) {
        const replay = await this.replayBooking(req);
        if (replay) return replay;
      }
      throw error;
    } finally {
      await this.availability.invalidate(req.companyId, service.calcomEventTypeId);
    }
    return { appointment: appointmentView(appointment, service, ctx.staff), customer: customerView(customer), replayed: false };
  }

  /**
   * A composite service: every step booked in Cal.com in order under a lock per step's slot, then one appointment
   * with its steps and one `booking.created`. All or nothing: a step Cal.com refuses cancels the steps before it.
   */
  private async bookComposite(req: BookRequest, ctx: BookingContext, startMs: number, signal?: AbortSignal) {
    const owner = CalendarLocks.owner(`book:${req.idempotencyKey}`);
    const planned = await this.availability.compositePlans(ctx, startMs, startMs + 1, { fresh: true, signal });
    const plan = planned.plans.find((p) => p[0].startMs === startMs);
    if (!plan) throw await this.slotTaken(ctx, startMs, 'a step of the service is not free then');
    const got = await this.locks.holdAll(this.stepKeys(req.companyId, plan), owner, CALENDAR_LOCK_WAIT_MS, signal);
    if ('busy' in got) {
      if (got.busy === 'same') {
        const done = await this.replayBooking(req);
        if (done) return done;
      }
      throw await this.slotTaken(ctx, startMs, 'a step is being booked by another caller');
    }
    try {
      const done = await this.replayBooking(req);
      if (done) return done;
      return await this.bookCompositeLocked(req, ctx, startMs, plan);
    } finally {
      await got.lease.release().catch(() => undefined);
    }
  }

  /** The calendars a composite plan writes: every step's event type and staff member. */
  private stepKeys(companyId: string, plan: PlannedStep[]): string[] {
    return plan.flatMap((step) => [this.locks.calendarKey(companyId, step.service.calcomEventTypeId), ...(step.staff ? [this.locks.staffKey(companyId, step.staff.id)] : [])]);
  }

  /** The Cal.com bookings and the appointment of a composite booking, with every step's slot and staff locked. */
  private async bookCompositeLocked(req: BookRequest, ctx: BookingContext, startMs: number, plan: PlannedStep[]) {
    const { company, service } = ctx;
    for (const step of plan) {
      const clash = await this.appointments.overlapping(req.companyId, step.service.calcomEventTypeId, new Date(step.startMs), new Date(step.endMs));
      if (clash.length) throw await this.slotTaken(ctx, startMs, 'a step overlaps a booked appointment');
      // Re-checked under the staff lock: the plan was made before it.
      if (step.staff && (await this.appointments.staffBusy(req.companyId, step.staff.id, new Date(step.startMs), new Date(step.endMs))).length) {
        throw await this.slotTaken(ctx, startMs, `${step.staff.name} is no longer free for a step`);
      }
    }
    const appointmentId = randomUUID();
    const made: { step: PlannedStep; uid: string }[] = [];
    // Pending until recorded: whatever cannot be undone now (or whose outcome is unknown) the orphan scan settles.
    await this.creates.begin(appointmentId, { companyId: req.companyId, idempotencyKey: req.idempotencyKey, eventTypeId: plan[0].service.calcomEventTypeId, startMs });
    const undo = async (why: string, outcomeKnown: boolean) => {
      const cancelled = await this.creates.cancelAll(req.companyId, made.map((m) => m.uid), why);
      if (cancelled && outcomeKnown) await this.creates.forget([appointmentId]);
    };
    try {
      for (const [position, step] of plan.entries()) {
        const booking = await this.calendars.of(req.companyId).createBooking(
          { eventTypeId: step.service.calcomEventTypeId },
          {
            start: new Date(step.startMs).toISOString(),
            attendee: {
              name: req.customer.name,
              timeZone: company.timeZone,
              language: req.customer.language,
              ...(req.customer.email ? { email: req.customer.email } : {}),
              ...(req.customer.phone ? { phoneNumber: req.customer.phone } : {}),
            },
            metadata: { appointmentId, companyId: req.companyId, step: String(position + 1), ...(req.callId ? { callId: req.callId } : {}), ...staffMetadata(step.staff) },
            ...(req.notes ? { bookingFieldsResponses: { notes: req.notes } } : {}),
          },
        );
        made.push({ step, uid: booking.uid });
      }
    } catch (error) {
      await undo('a later step of the appointment could not be booked; cancelled automatically', CalcomCreates.certainlyNotBooked(error));
      throw await this.calcomFailure(error, ctx, startMs);
    } finally {
      for (const step of plan) await this.availability.invalidate(req.companyId, step.service.calcomEventTypeId);
    }

    const now = new Date();
    const last = plan[plan.length - 1];
    const appointment: AppointmentEntity = {
      id: appointmentId,
      companyId: req.companyId,
      serviceId: service.id,
      staffId: plan[0].staff?.id ?? null,
      customerId: '',
      callId: req.callId,
      calcomEventTypeId: plan[0].service.calcomEventTypeId,
      calcomBookingUid: made[0].uid,
      startsAt: new Date(startMs),
      endsAt: new Date(last.endMs),
      timeZone: company.timeZone,
      status: 'booked',
      source: req.source,
      idempotencyKey: req.idempotencyKey,
      rescheduledCount: 0,
      composite: true,
      notes: req.notes,
      cancelledAt: null,
      cancellationReason: null,
      cancelledBy: null,
      createdAt: now,
      updatedAt: now,
    };
    const steps = made.map((m, position) => this.stepRow(appointment, position, m.step, m.uid));
    let customer: CustomerEntity;
    try {
      customer = await this.outbox.transaction(async (manager, publish) => {
        await this.creates.closeIn(manager, [appointmentId]);
        const c = await this.customersRepo.upsert(manager, req.companyId, req.customer, now);
        appointment.customerId = c.id;
        await manager.getRepository(AppointmentEntity).insert(appointment);
        await manager.getRepository(AppointmentStepEntity).insert(steps);
        await publish({ topic: Topics.bookingCreated.name, key: appointment.id, companyId: req.companyId, subject: appointment.id, data: appointmentEventData(appointment, service, c) });
        return c;
      });
    } catch (error) {
      await undo('not recorded by the receptionist; cancelled automatically', true);
      if (isDuplicateKeyError(error)) {
        const replay = await this.replayBooking(req);
        if (replay) return replay;
      }
      throw error;
    }
    return { ...(await this.describe(appointment)), customer: customerView(customer), replayed: false };
  }

  private stepRow(a: AppointmentEntity, position: number, step: PlannedStep, uid: string | null): AppointmentStepEntity {
    return {
      id: randomUUID(),
      companyId: a.companyId,
      appointmentId: a.id,
      position,
      serviceId: step.service.id,
      staffId: step.staff?.id ?? null,
      calcomEventTypeId: step.service.calcomEventTypeId,
      calcomBookingUid: uid,
      startsAt: new Date(step.startMs),
      endsAt: new Date(step.endMs),
    };
  }

  /** The preferred staff member is busy then: her nearest free times, and who else is free at that time. */
  private async staffUnavailable(ctx: BookingContext, startMs: number, excludeAppointmentId?: string): Promise<BookingFailure> {
    const alternatives = await this.availability.alternatives(ctx, startMs, { excludeAppointmentId });
    const links = await this.catalogueRepo.listStaffServices(ctx.company.companyId);
    const others = (await this.catalogueRepo.listStaff(ctx.company.companyId, { activeOnly: true })).filter(
      (s) => s.id !== ctx.staff?.id && links.some((l) => l.staffId === s.id && l.serviceId === ctx.service.id),
    );
    const freeOthers: { staffId: string; name: string }[] = [];
    for (const other of others) {
      const { starts } = await this.availability.freeStarts({ ...ctx, staff: other }, startMs, startMs + 1, { excludeAppointmentId }).catch(() => ({ starts: [] as number[] }));
      if (starts.includes(startMs)) freeOthers.push({ staffId: other.id, name: other.name });
    }
    return new BookingFailure('staff_unavailable', `staffId: ${ctx.staff?.name ?? 'the staff member'} is not free then`, {
      staffId: ctx.staff?.id ?? null,
      staffName: ctx.staff?.name ?? null,
      start: formatInZone(startMs, ctx.company.timeZone),
      alternatives,
      otherStaff: freeOthers,
    });
  }

  // ---- list -----------------------------------------------------------------------------------------------

  async list(req: ListRequest) {
    const customer = await this.customers.find(req.companyId, req.customer);
    if (!customer) return { customer: null, appointments: [] };
    return { customer: customerView(customer), appointments: await this.listFor(req.companyId, customer.id, req.includePast) };
  }

  async listFor(companyId: string, customerId: string, includePast = false) {
    const rows = await this.appointments.listForCustomer(companyId, customerId, { includePast });
    const services = new Map((await this.catalogueRepo.findServicesByIds(companyId, [...new Set(rows.map((r) => r.serviceId))])).map((s) => [s.id, s]));
    const staffIds = [...new Set(rows.map((r) => r.staffId).filter((s): s is string => !!s))];
    const staff = new Map((await this.catalogueRepo.findStaffByIds(companyId, staffIds)).map((s) => [s.id, s]));
    return Promise.all(rows.map(async (r) => ({ ...appointmentView(r, services.get(r.serviceId), r.staffId ? staff.get(r.staffId) : null), ...(await this.stepsView(r)) })));
  }

  // ---- cancel ---------------------------------------------------------------------------------------------

  async cancel(req: CancelRequest) {
    const company = await this.catalogue.requireCompany(req.companyId);
    const { appointment, customer } = await this.requireOwn(req.companyId, req.customer, req.appointmentId);
    return this.withAppointmentLock(req.companyId, appointment.id, `cancel:${req.appointmentId}`, async () => {
      const current = (await this.appointments.findById(req.companyId, appointment.id))!;
      if (current.status === 'cancelled') return { ...(await this.describe(current)), alreadyCancelled: true };
      const service = await this.serviceOf(current);
      // Only a customer's own cancellation is subject to the notice; the business may always cancel.
      const decision = req.cancelledBy === 'customer' ? decideCancel(effectivePolicies(company.policies, service.policies), current.startsAt.getTime(), Date.now()) : null;
      if (decision && !decision.allowed) {
        await this.recordDecision(req.companyId, current, req.callId, decision);
        throw new BookingFailure('policy_denied', decision.detail, decision.data);
      }
      // A composite appointment holds one Cal.com booking per step; all of them go.
      const steps = current.composite ? await this.appointments.steps(req.companyId, current.id) : [];
      const uids = current.composite ? steps.map((st) => st.calcomBookingUid) : [current.calcomBookingUid];
      for (const uid of uids) {
        if (!uid) continue;
        try {
          await this.calendars.of(req.companyId).cancelBooking(uid, { ...(req.reason ? { cancellationReason: req.reason } : {}) });
        } catch (error) {
          // Gone or already cancelled in Cal.com: the calendar agrees with us; anything else is an outage.
          if (!(error instanceof CalcomApiError && (error.isNotFound || /cancel/i.test(error.message)))) throw this.unavailable(error);
        }
      }
      const changed = await this.outbox.transaction(async (manager, publish) => {
        if (decision) await this.recordDecision(req.companyId, current, req.callId, decision, manager);
        return this.commitCancellation(manager, publish, current, service, customer, { reason: req.reason, cancelledBy: req.cancelledBy });
      });
      for (const eventType of new Set([current.calcomEventTypeId, ...steps.map((st) => st.calcomEventTypeId)])) await this.availability.invalidate(req.companyId, eventType);
      const after = (await this.appointments.findById(req.companyId, current.id))!;
      return { ...(await this.describe(after)), alreadyCancelled: !changed };
    });
  }

  // ---- reschedule -----------------------------------------------------------------------------------------

  async reschedule(req: RescheduleRequest, signal?: AbortSignal) {
    const company = await this.catalogue.requireCompany(req.companyId);
    const replay = await this.replayReschedule(req);
    if (replay) return replay;
    const { appointment, customer } = await this.requireOwn(req.companyId, req.customer, req.appointmentId);
    const owner = `reschedule:${req.idempotencyKey}`;
    return this.withAppointmentLock(req.companyId, appointment.id, owner, async () => {
      const again = await this.replayReschedule(req);
      if (again) return again;
      const current = (await this.appointments.findById(req.companyId, appointment.id))!;
      if (current.status !== 'booked') throw new BookingFailure('not_found', 'appointmentId: the appointment is cancelled');
      const service = await this.serviceOf(current);
      // The policy first, before availability or confirmation (seed-behaviour §4: the original checked it last).
      // The business moves its own appointments freely; the customer's move is subject to the policy.
      const decision = req.movedBy === 'customer' ? decideReschedule(effectivePolicies(company.policies, service.policies), current.startsAt.getTime(), Date.now(), current.rescheduledCount) : null;
      if (decision && !decision.allowed) {
        await this.recordDecision(req.companyId, current, req.callId, decision);
        throw new BookingFailure('policy_denied', decision.detail, decision.data);
      }
      if (!service.active) throw new BookingFailure('unknown_service', `serviceId: service '${service.key}' is no longer offered`);
      const ctx: BookingContext = { company, service, staff: null };
      const startMs = Date.parse(req.newStart);
      await this.checkStartWithAlternatives(ctx, startMs, current.id, req.callId);
      if (startMs === current.startsAt.getTime()) return { ...(await this.describe(current)), replayed: false };
      if (current.composite || service.steps?.length) return this.rescheduleComposite(req, { ...ctx, customer, current, decision }, startMs, signal);

      // The calendar as a whole, as for a booking: a move onto a time another booking overlaps waits for it and sees it.
      const keys = [this.locks.calendarKey(req.companyId, current.calcomEventTypeId), ...(current.staffId ? [this.locks.staffKey(req.companyId, current.staffId)] : [])];
      const got = await this.locks.holdAll(keys, CalendarLocks.owner(owner), CALENDAR_LOCK_WAIT_MS, signal);
      if ('busy' in got) throw await this.slotTaken(ctx, startMs, 'the calendar is being booked by another caller', current.id);
      try {
        const endMs = startMs + service.durationMinutes * MINUTE_MS;
        const clash = await this.appointments.overlapping(req.companyId, current.calcomEventTypeId, new Date(startMs), new Date(endMs), current.id);
        if (clash.length > 0) throw await this.slotTaken(ctx, startMs, 'overlaps a booked appointment', current.id);
        if (current.staffId && (await this.appointments.staffBusy(req.companyId, current.staffId, new Date(startMs), new Date(endMs), current.id)).length) {
          throw await this.slotTaken(ctx, startMs, 'the staff member is not free then', current.id);
        }
        if (!(await this.availability.isFree(ctx, startMs, { excludeAppointmentId: current.id, signal, callId: req.callId }))) {
          throw await this.slotTaken(ctx, startMs, 'Cal.com no longer offers this slot', current.id);
        }
        let newUid = current.calcomBookingUid;
        if (current.calcomBookingUid) {
          try {
            const moved = await this.calendars.of(req.companyId).rescheduleBooking(current.calcomBookingUid, { start: new Date(startMs).toISOString(), reschedulingReason: 'moved by the caller' });
            newUid = moved.uid;
          } catch (error) {
            throw await this.calcomFailure(error, ctx, startMs, current.id);
          } finally {
            await this.availability.invalidate(req.companyId, current.calcomEventTypeId);
          }
        }
        const now = new Date();
        const updated: AppointmentEntity = {
          ...current,
          startsAt: new Date(startMs),
          endsAt: new Date(endMs),
          calcomBookingUid: newUid,
          rescheduledCount: current.rescheduledCount + 1,
          updatedAt: now,
        };
        await this.outbox.transaction((manager, publish) => this.commitReschedule(manager, publish, { callId: req.callId, idempotencyKey: req.idempotencyKey, decision }, current, updated, service, customer));
        await this.availability.invalidate(req.companyId, current.calcomEventTypeId);
        return { ...(await this.describe(updated)), replayed: false };
      } finally {
        await got.lease.release().catch(() => undefined);
      }
    });
  }

  /**
   * Moves a composite appointment as a whole: the new steps are booked in Cal.com first (all or nothing), then
   * the old ones are cancelled, then the appointment, its steps, the change and `booking.rescheduled` commit together.
   */
  private async rescheduleComposite(
    req: RescheduleRequest,
    x: BookingContext & { customer: CustomerEntity; current: AppointmentEntity; decision: PolicyDecision | null },
    startMs: number,
    signal?: AbortSignal,
  ) {
    const { current, service, customer, decision } = x;
    const ctx: BookingContext = { company: x.company, service, staff: null };
    const owner = CalendarLocks.owner(`reschedule:${req.idempotencyKey}`);
    const planned = await this.availability.compositePlans(ctx, startMs, startMs + 1, { fresh: true, excludeAppointmentId: current.id, signal });
    const plan = planned.plans.find((p) => p[0].startMs === startMs);
    if (!plan) throw await this.slotTaken(ctx, startMs, 'a step of the service is not free then', current.id);
    const got = await this.locks.holdAll(this.stepKeys(req.companyId, plan), owner, CALENDAR_LOCK_WAIT_MS, signal);
    if ('busy' in got) throw await this.slotTaken(ctx, startMs, 'a step is being booked by another caller', current.id);
    try {
      for (const step of plan) {
        const clash = await this.appointments.overlapping(req.companyId, step.service.calcomEventTypeId, new Date(step.startMs), new Date(step.endMs), current.id);
        const staffClash = step.staff ? await this.appointments.staffBusy(req.companyId, step.staff.id, new Date(step.startMs), new Date(step.endMs), current.id) : [];
        if (clash.length || staffClash.length) throw await this.slotTaken(ctx, startMs, 'a step overlaps a booked appointment', current.id);
      }
      const made: { step: PlannedStep; uid: string }[] = [];
      try {
        for (const [position, step] of plan.entries()) {
          const booking = await this.calendars.of(req.companyId).createBooking(
            { eventTypeId: step.service.calcomEventTypeId },
            {
              start: new Date(step.startMs).toISOString(),
              attendee: { name: customer.name, timeZone: x.company.timeZone, language: customer.language, ...(customer.email ? { email: customer.email } : {}), ...(customer.phone ? { phoneNumber: customer.phone } : {}) },
              metadata: { appointmentId: current.id, companyId: req.companyId, step: String(position + 1), ...staffMetadata(step.staff) },
            },
          );
          made.push({ step, uid: booking.uid });
        }
      } catch (error) {
        for (const m of made) await this.calendars.of(req.companyId).cancelBooking(m.uid, { cancellationReason: 'the appointment could not be moved; cancelled automatically' }).catch(() => undefined);
        throw await this.calcomFailure(error, ctx, startMs, current.id);
      }
      const oldSteps = await this.appointments.steps(req.companyId, current.id);
      for (const old of oldSteps) {
        if (!old.calcomBookingUid) continue;
        await this.calendars.of(req.companyId).cancelBooking(old.calcomBookingUid, { cancellationReason: 'moved by the caller' }).catch((e) => this.logger.error({ err: e, uid: old.calcomBookingUid }, 'old step of a moved appointment not cancelled in Cal.com'));
      }
      for (const eventType of new Set([...oldSteps, ...plan.map((p) => ({ calcomEventTypeId: p.service.calcomEventTypeId }))].map((st) => st.calcomEventTypeId))) {
        await this.availability.invalidate(req.companyId, eventType);
      }
      const now = new Date();
      const updated: AppointmentEntity = {
        ...current,
        staffId: plan[0].staff?.id ?? null,
        startsAt: new Date(startMs),
        endsAt: new Date(plan[plan.length - 1].endMs),
        calcomEventTypeId: plan[0].service.calcomEventTypeId,
        calcomBookingUid: made[0].uid,
        composite: true,
        rescheduledCount: current.rescheduledCount + 1,
        updatedAt: now,
      };
      await this.outbox.transaction(async (manager, publish) => {
        await manager.getRepository(AppointmentStepEntity).delete({ companyId: req.companyId, appointmentId: current.id });
        await manager.getRepository(AppointmentStepEntity).insert(made.map((m, position) => this.stepRow(updated, position, m.step, m.uid)));
        await this.commitReschedule(manager, publish, { callId: req.callId, idempotencyKey: req.idempotencyKey, decision }, current, updated, service, customer);
      });
      return { ...(await this.describe(updated)), replayed: false };
    } finally {
      await got.lease.release().catch(() => undefined);
    }
  }

  /** One reschedule, committed together: the policy decision, the change (its idempotency key), the row and `booking.rescheduled`. */
  /**
   * Marks a booked appointment cancelled and announces it (`booking.cancelled`), in the caller's outbox transaction;
   * false when it was no longer booked. Used for the customer's and the business's cancellations, and for those
   * made in Cal.com itself (calendar-changes.handler.ts).
   */
  async commitCancellation(
    manager: EntityManager,
    publish: Publish,
    current: AppointmentEntity,
    service: ServiceEntity,
    customer: CustomerEntity,
    change: { reason: string | null; cancelledBy: CancelledBy },
  ): Promise<boolean> {
    const now = new Date();
    const result = await manager
      .getRepository(AppointmentEntity)
      .update(
        { id: current.id, companyId: current.companyId, status: 'booked' },
        { status: 'cancelled', cancelledAt: now, cancellationReason: change.reason, cancelledBy: change.cancelledBy, updatedAt: now, version: () => 'version + 1' },
      );
    if (!result.affected) return false;
    const version = await this.versionAfterChange(manager, current);
    await manager.getRepository(AppointmentChangeEntity).insert({
      id: randomUUID(),
      companyId: current.companyId,
      appointmentId: current.id,
      kind: 'cancel',
      idempotencyKey: null,
      previousStartsAt: current.startsAt,
      newStartsAt: null,
      previousCalcomUid: current.calcomBookingUid,
      newCalcomUid: null,
      createdAt: now,
    });
    await publish({
      topic: Topics.bookingCancelled.name,
      key: current.id,
      companyId: current.companyId,
      subject: current.id,
      data: { ...appointmentEventData({ ...current, status: 'cancelled', version }, service, customer), reason: change.reason, cancelledBy: change.cancelledBy },
    });
    return true;
  }

  /**
   * Moves an appointment to `updated` (time, staff, Cal.com uid) and announces it (`booking.rescheduled`), in the
   * caller's outbox transaction. `by.decision` is the policy decision of a customer's reschedule (recorded with it);
   * a move made in Cal.com by the business has none.
   */
  async commitReschedule(
    manager: EntityManager,
    publish: Publish,
    by: { callId: string | null; idempotencyKey: string | null; decision: PolicyDecision | null },
    current: AppointmentEntity,
    updated: AppointmentEntity,
    service: ServiceEntity,
    customer: CustomerEntity,
  ): Promise<void> {
    if (by.decision) await this.recordDecision(current.companyId, current, by.callId, by.decision, manager);
    await manager.getRepository(AppointmentChangeEntity).insert({
      id: randomUUID(),
      companyId: current.companyId,
      appointmentId: current.id,
      kind: 'reschedule',
      idempotencyKey: by.idempotencyKey,
      previousStartsAt: current.startsAt,
      newStartsAt: updated.startsAt,
      previousCalcomUid: current.calcomBookingUid,
      newCalcomUid: updated.calcomBookingUid,
      createdAt: updated.updatedAt,
    });
    const { staffId, startsAt, endsAt, calcomEventTypeId, calcomBookingUid, composite, rescheduledCount, updatedAt } = updated;
    await manager
      .getRepository(AppointmentEntity)
      .update(
        { id: current.id, companyId: current.companyId },
        { staffId, startsAt, endsAt, calcomEventTypeId, calcomBookingUid, composite, rescheduledCount, updatedAt, version: () => 'version + 1' },
      );
    const version = await this.versionAfterChange(manager, current);
    const previous = appointmentEventData(current, service, customer);
    await publish({
      topic: Topics.bookingRescheduled.name,
      key: current.id,
      companyId: current.companyId,
      subject: current.id,
      data: { ...appointmentEventData({ ...updated, version }, service, customer), previousStartsAt: previous.startsAt, previousEndsAt: previous.endsAt },
    });
  }

  /** The version the caller's UPDATE just gave the row (it holds the row lock, so it reads its own write). */
  private async versionAfterChange(manager: EntityManager, current: AppointmentEntity): Promise<number> {
    const rows: { version: number }[] = await manager.query('SELECT version FROM appointment WHERE company_id = ? AND id = ?', [current.companyId, current.id]);
    return Number(rows[0]?.version ?? 1);
  }

  private async replayReschedule(req: RescheduleRequest) {
    const change = await this.appointments.findChangeByKey(req.companyId, req.idempotencyKey);
    if (!change) return null;
    const appointment = await this.appointments.findById(req.companyId, change.appointmentId);
    return appointment ? { ...(await this.describe(appointment)), replayed: true } : null;
  }

  // ---- helpers --------------------------------------------------------------------------------------------

  /** Only the caller's own appointment; another customer's looks exactly like a missing one. */
  private async requireOwn(companyId: string, ref: CustomerRef, appointmentId: string) {
    const customer = await this.customers.find(companyId, ref);
    const appointment = customer ? await this.appointments.findById(companyId, appointmentId) : null;
    if (!customer || !appointment || appointment.customerId !== customer.id) {
      throw new BookingFailure('not_found', 'appointmentId: no such appointment for this customer');
    }
    return { customer, appointment };
  }

  async withAppointmentLock<T>(companyId: string, appointmentId: string, ownerKey: string, work: () => Promise<T>): Promise<T> {
    // Changes of one appointment apply one after the other; the lock is renewed while Cal.com is asked.
    const got = await this.locks.holdAll([this.locks.appointmentKey(companyId, appointmentId)], CalendarLocks.owner(ownerKey), SAME_REQUEST_WAIT_MS);
    if ('busy' in got) throw new Error(`appointment ${appointmentId} is locked by another change`);
    try {
      return await work();
    } finally {
      await got.lease.release().catch(() => undefined);
    }
  }

  private async checkStartWithAlternatives(ctx: BookingContext, startMs: number, excludeAppointmentId?: string, callId: string | null = null) {
    try {
      checkStart({ company: ctx.company, servicePolicies: ctx.service.policies, durationMinutes: ctx.service.durationMinutes, startMs, now: Date.now() });
    } catch (error) {
      // Notice and horizon are policies: their refusals are recorded (opening hours and the past are facts).
      if (error instanceof BookingFailure && (error.code === 'too_short_notice' || error.code === 'beyond_horizon')) {
        await this.appointments
          .recordDecision({
            companyId: ctx.company.companyId,
            appointmentId: excludeAppointmentId ?? null,
            serviceId: ctx.service.id,
            callId,
            action: excludeAppointmentId ? 'reschedule' : 'book',
            allowed: false,
            rule: error.code,
            detail: { start: new Date(startMs).toISOString(), ...(error.data ?? {}) },
          })
          .catch((e) => this.logger.warn({ err: e }, 'policy decision not recorded'));
      }
      if (error instanceof BookingFailure && (error.code === 'outside_opening_hours' || error.code === 'too_short_notice' || error.code === 'beyond_horizon')) {
        const alternatives = await this.availability.alternatives(ctx, startMs, { excludeAppointmentId });
        throw new BookingFailure(error.code, error.detail, { ...error.data, alternatives });
      }
      throw error;
    }
  }

  private recordDecision(companyId: string, a: AppointmentEntity, callId: string | null, d: PolicyDecision, manager?: EntityManager): Promise<void> {
    return this.appointments.recordDecision(
      {
        companyId,
        appointmentId: a.id,
        serviceId: a.serviceId,
        callId,
        action: d.action,
        allowed: d.allowed,
        rule: d.allowed ? null : d.rule,
        detail: d.allowed ? { hoursLeft: d.hoursLeft } : d.data,
      },
      manager,
    );
  }

  private async slotTaken(ctx: SlotContext, startMs: number, why: string, excludeAppointmentId?: string): Promise<BookingFailure> {
    const alternatives = await this.availability.alternatives(ctx, startMs, { excludeAppointmentId });
    return new BookingFailure('slot_taken', `start: ${why}`, { alternatives });
  }

  private async calcomFailure(error: unknown, ctx: SlotContext, startMs: number, excludeAppointmentId?: string): Promise<unknown> {
    if (error instanceof CalcomApiError && error.isSlotUnavailable) return this.slotTaken(ctx, startMs, 'Cal.com says the slot is taken', excludeAppointmentId);
    if (error instanceof CalcomApiError) {
      this.logger.error({ err: error, companyId: ctx.company.companyId }, 'Cal.com refused the booking');
      return new BookingFailure('calendar_unavailable', `Cal.com answered ${error.statusCode}: ${error.message}`);
    }
    return this.unavailable(error);
  }

  private unavailable(error: unknown): unknown {
    if (error instanceof CalcomUnavailableError) return new BookingFailure('calendar_unavailable', `Cal.com ${error.operation}: ${error.reason}`);
    if (error instanceof CalcomApiError) return new BookingFailure('calendar_unavailable', `Cal.com answered ${error.statusCode}: ${error.message}`);
    return error;
  }

  private async serviceOf(a: AppointmentEntity): Promise<ServiceEntity> {
    const [service] = await this.catalogueRepo.findServicesByIds(a.companyId, [a.serviceId]);
    return service;
  }

  private async describe(a: AppointmentEntity) {
    const [service] = await this.catalogueRepo.findServicesByIds(a.companyId, [a.serviceId]);
    const [staff] = a.staffId ? await this.catalogueRepo.findStaffByIds(a.companyId, [a.staffId]) : [];
    const customer = await this.customersRepo.findById(a.companyId, a.customerId);
    return { appointment: { ...appointmentView(a, service, staff), ...(await this.stepsView(a)) }, customer: customer ? customerView(customer) : null };
  }

  /** A composite appointment's steps as the caller and the business see them (nothing for an ordinary one). */
  private async stepsView(a: AppointmentEntity): Promise<{ steps?: { serviceId: string; serviceName: string; staffId: string | null; staffName: string | null; startsAt: string; endsAt: string }[] }> {
    if (!a.composite) return {};
    const steps = await this.appointments.steps(a.companyId, a.id);
    const services = new Map((await this.catalogueRepo.findServicesByIds(a.companyId, steps.map((st) => st.serviceId))).map((sv) => [sv.id, sv]));
    const staff = new Map((await this.catalogueRepo.findStaffByIds(a.companyId, steps.map((st) => st.staffId).filter((id): id is string => !!id))).map((st) => [st.id, st]));
    return {
      steps: steps.map((st) => ({
        serviceId: st.serviceId,
        serviceName: services.get(st.serviceId)?.name ?? '',
        staffId: st.staffId,
        staffName: st.staffId ? (staff.get(st.staffId)?.name ?? null) : null,
        startsAt: formatInZone(st.startsAt.getTime(), a.timeZone),
        endsAt: formatInZone(st.endsAt.getTime(), a.timeZone),
      })),
    };
  }
}

/** Who the Cal.com booking is for (the team's host is Cal.com's choice; our staff member travels as metadata). */
function staffMetadata(staff: StaffEntity | null | undefined): Record<string, string> {
  if (!staff) return {};
  return { staffId: staff.id, staffName: staff.name, ...(staff.calcomUserId ? { calcomUserId: String(staff.calcomUserId) } : {}) };
}
