import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import type { z } from 'zod';
import { Topics, bookingRequestSchema } from '@receptionist/contracts';
import { Outbox, isDuplicateKeyError } from '@receptionist/messaging';
import { LOGGER } from '@receptionist/service-runtime';
import { AvailabilityService, SlotContext } from '../availability/availability.service';
import { checkStart } from '../availability/booking-rules';
import { CalcomApiError, CalcomBooking, CalcomClient, CalcomUnavailableError } from '../calcom';
import type { ServiceEntity } from '../catalogue/catalogue.entities';
import { CatalogueRepository } from '../catalogue/catalogue.repository';
import { BookingContext, CatalogueService } from '../catalogue/catalogue.service';
import { BookingFailure } from '../common/booking-failure';
import { MINUTE_MS } from '../common/zoned-time';
import { CustomerEntity } from '../customers/customer.entity';
import { CustomersRepository } from '../customers/customers.repository';
import { CustomerRef, CustomersService, customerView } from '../customers/customers.service';
import { AppointmentChangeEntity, AppointmentEntity } from './appointment.entities';
import { appointmentEventData, appointmentView } from './appointment-views';
import { AppointmentsRepository } from './appointments.repository';
import { PolicyDecision, decideCancel, decideReschedule, effectivePolicies } from './policy';
import { HeldLock, SlotLocks } from './slot-lock';

type Req = z.output<typeof bookingRequestSchema>;
export type BookRequest = Extract<Req, { operation: 'appointment.book' }>;
export type ListRequest = Extract<Req, { operation: 'appointment.list' }>;
export type CancelRequest = Extract<Req, { operation: 'appointment.cancel' }>;
export type RescheduleRequest = Extract<Req, { operation: 'appointment.reschedule' }>;

/** How long a retried request waits for its own first attempt (same idempotency key) still in flight. */
const SAME_REQUEST_WAIT_MS = 8_000;

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
    private readonly calcom: CalcomClient,
    private readonly locks: SlotLocks,
    private readonly outbox: Outbox,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  // ---- book -----------------------------------------------------------------------------------------------

  async book(req: BookRequest, signal?: AbortSignal) {
    if (!req.customer.phone && !req.customer.email) throw new BookingFailure('invalid_request', 'customer: a phone number or an e-mail address is required');
    const ctx = await this.catalogue.requireBookable(req.companyId, req.serviceId, req.staffId);
    const replay = await this.replayBooking(req);
    if (replay) return replay;

    const startMs = Date.parse(req.start);
    await this.checkStartWithAlternatives(ctx, startMs, undefined, req.callId);

    const owner = SlotLocks.owner(`book:${req.idempotencyKey}`);
    const lockKey = this.locks.slotKey(req.companyId, ctx.service.calcomEventTypeId, startMs);
    let lock: HeldLock | undefined;
    for (let attempt = 0; !lock; attempt++) {
      const got = await this.locks.acquire(lockKey, owner);
      if (got.acquired) {
        lock = got.lock;
        break;
      }
      if (!got.heldBySameOwner || attempt > 0) throw await this.slotTaken(ctx, startMs, 'slot is being booked by another caller');
      // Our own first attempt (Retell retried the call) is still running: its result is ours.
      await this.locks.waitReleased(lockKey, SAME_REQUEST_WAIT_MS);
      const done = await this.replayBooking(req);
      if (done) return done;
    }
    try {
      return await this.bookLocked(req, ctx, startMs, signal);
    } finally {
      await this.locks.release(lock).catch((e) => this.logger.warn({ err: e }, 'slot lock not released; it expires'));
    }
  }

  private async replayBooking(req: BookRequest) {
    const existing = await this.appointments.findByIdempotencyKey(req.companyId, req.idempotencyKey);
    if (!existing) return null;
    return { ...(await this.describe(existing)), replayed: true };
  }

  private async bookLocked(req: BookRequest, ctx: BookingContext, startMs: number, signal?: AbortSignal) {
    const { company, service } = ctx;
    const endMs = startMs + service.durationMinutes * MINUTE_MS;
    const local = await this.appointments.overlapping(req.companyId, service.calcomEventTypeId, new Date(startMs), new Date(endMs));
    if (local.length > 0) throw await this.slotTaken(ctx, startMs, 'overlaps a booked appointment');
    if (!(await this.availability.isFree(ctx, startMs, { signal }))) throw await this.slotTaken(ctx, startMs, 'Cal.com no longer offers this slot');

    const appointmentId = randomUUID();
    let booking: CalcomBooking;
    try {
      // No deadline signal on the write: a booking that Cal.com makes after the caller gave up is still recorded.
      booking = await this.calcom.createBooking(
        { eventTypeId: service.calcomEventTypeId },
        {
          start: new Date(startMs).toISOString(),
          attendee: {
            name: req.customer.name,
            timeZone: company.timeZone,
            language: req.customer.language,
            ...(req.customer.email ? { email: req.customer.email } : {}),
            ...(req.customer.phone ? { phoneNumber: req.customer.phone } : {}),
          },
          metadata: { appointmentId, companyId: req.companyId, ...(req.callId ? { callId: req.callId } : {}) },
          ...(req.notes ? { bookingFieldsResponses: { notes: req.notes } } : {}),
        },
      );
    } catch (error) {
      await this.availability.invalidate(req.companyId, service.calcomEventTypeId);
      throw await this.calcomFailure(error, ctx, startMs);
    }

    // Cal.com answers an identical earlier booking (same attendee and start) with that booking: accept it only
    // if it is for this start and no appointment of ours holds it (an orphan of an attempt whose reply was lost).
    if (Date.parse(booking.start) !== startMs || (booking.metadata?.appointmentId && booking.metadata.appointmentId !== appointmentId)) {
      const owned = await this.appointments.findByCalcomUid(booking.uid);
      if (owned || Date.parse(booking.start) !== startMs) throw await this.slotTaken(ctx, startMs, 'Cal.com returned a different booking');
      this.logger.warn({ companyId: req.companyId, uid: booking.uid }, 'adopting a Cal.com booking left by an earlier attempt');
    }

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
      customer = await this.outbox.transaction(async (manager, publish) => {
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
      // Never leave a Cal.com booking nobody knows about: undo it, then answer as the state says.
      await this.calcom.cancelBooking(booking.uid, { cancellationReason: 'not recorded by the receptionist; cancelled automatically' }).catch((e) =>
        this.logger.error({ err: e, uid: booking.uid }, 'compensating Cal.com cancel failed; booking orphaned'),
      );
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
    return rows.map((r) => appointmentView(r, services.get(r.serviceId), r.staffId ? staff.get(r.staffId) : null));
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
      if (current.calcomBookingUid) {
        try {
          await this.calcom.cancelBooking(current.calcomBookingUid, { ...(req.reason ? { cancellationReason: req.reason } : {}) });
        } catch (error) {
          // Gone or already cancelled in Cal.com: the calendar agrees with us; anything else is an outage.
          if (!(error instanceof CalcomApiError && (error.isNotFound || /cancel/i.test(error.message)))) throw this.unavailable(error);
        }
      }
      const now = new Date();
      const changed = await this.outbox.transaction(async (manager, publish) => {
        if (decision) await this.recordDecision(req.companyId, current, req.callId, decision, manager);
        const result = await manager
          .getRepository(AppointmentEntity)
          .update(
            { id: current.id, companyId: req.companyId, status: 'booked' },
            { status: 'cancelled', cancelledAt: now, cancellationReason: req.reason, cancelledBy: req.cancelledBy, updatedAt: now },
          );
        if (!result.affected) return false;
        await manager.getRepository(AppointmentChangeEntity).insert({
          id: randomUUID(),
          companyId: req.companyId,
          appointmentId: current.id,
          kind: 'cancel',
          idempotencyKey: null,
          previousStartsAt: current.startsAt,
          newStartsAt: null,
          previousCalcomUid: current.calcomBookingUid,
          newCalcomUid: null,
          createdAt: now,
        });
        const cancelled = { ...current, status: 'cancelled' as const };
        await publish({
          topic: Topics.bookingCancelled.name,
          key: current.id,
          companyId: req.companyId,
          subject: current.id,
          data: { ...appointmentEventData(cancelled, service, customer), reason: req.reason, cancelledBy: req.cancelledBy },
        });
        return true;
      });
      await this.availability.invalidate(req.companyId, current.calcomEventTypeId);
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
      const decision = decideReschedule(effectivePolicies(company.policies, service.policies), current.startsAt.getTime(), Date.now(), current.rescheduledCount);
      if (!decision.allowed) {
        await this.recordDecision(req.companyId, current, req.callId, decision);
        throw new BookingFailure('policy_denied', decision.detail, decision.data);
      }
      if (!service.active) throw new BookingFailure('unknown_service', `serviceId: service '${service.key}' is no longer offered`);
      const ctx: BookingContext = { company, service, staff: null };
      const startMs = Date.parse(req.newStart);
      await this.checkStartWithAlternatives(ctx, startMs, current.id, req.callId);
      if (startMs === current.startsAt.getTime()) return { ...(await this.describe(current)), replayed: false };

      const slotKey = this.locks.slotKey(req.companyId, current.calcomEventTypeId, startMs);
      const got = await this.locks.acquire(slotKey, SlotLocks.owner(owner));
      if (!got.acquired) throw await this.slotTaken(ctx, startMs, 'slot is being booked by another caller', current.id);
      try {
        const endMs = startMs + service.durationMinutes * MINUTE_MS;
        const clash = await this.appointments.overlapping(req.companyId, current.calcomEventTypeId, new Date(startMs), new Date(endMs), current.id);
        if (clash.length > 0) throw await this.slotTaken(ctx, startMs, 'overlaps a booked appointment', current.id);
        if (!(await this.availability.isFree(ctx, startMs, { excludeAppointmentId: current.id, signal }))) {
          throw await this.slotTaken(ctx, startMs, 'Cal.com no longer offers this slot', current.id);
        }
        let newUid = current.calcomBookingUid;
        if (current.calcomBookingUid) {
          try {
            const moved = await this.calcom.rescheduleBooking(current.calcomBookingUid, { start: new Date(startMs).toISOString(), reschedulingReason: 'moved by the caller' });
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
        await this.outbox.transaction(async (manager, publish) => {
          await this.recordDecision(req.companyId, current, req.callId, decision, manager);
          await manager.getRepository(AppointmentChangeEntity).insert({
            id: randomUUID(),
            companyId: req.companyId,
            appointmentId: current.id,
            kind: 'reschedule',
            idempotencyKey: req.idempotencyKey,
            previousStartsAt: current.startsAt,
            newStartsAt: updated.startsAt,
            previousCalcomUid: current.calcomBookingUid,
            newCalcomUid: newUid,
            createdAt: now,
          });
          await manager.getRepository(AppointmentEntity).update(
            { id: current.id, companyId: req.companyId },
            { startsAt: updated.startsAt, endsAt: updated.endsAt, calcomBookingUid: newUid, rescheduledCount: updated.rescheduledCount, updatedAt: now },
          );
          const previous = appointmentEventData(current, service, customer);
          await publish({
            topic: Topics.bookingRescheduled.name,
            key: current.id,
            companyId: req.companyId,
            subject: current.id,
            data: { ...appointmentEventData(updated, service, customer), previousStartsAt: previous.startsAt, previousEndsAt: previous.endsAt },
          });
        });
        await this.availability.invalidate(req.companyId, current.calcomEventTypeId);
        return { ...(await this.describe(updated)), replayed: false };
      } finally {
        await this.locks.release(got.lock).catch(() => undefined);
      }
    });
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

  private async withAppointmentLock<T>(companyId: string, appointmentId: string, ownerKey: string, work: () => Promise<T>): Promise<T> {
    const key = this.locks.appointmentKey(companyId, appointmentId);
    const owner = SlotLocks.owner(ownerKey);
    const until = Date.now() + SAME_REQUEST_WAIT_MS;
    for (;;) {
      const got = await this.locks.acquire(key, owner);
      if (got.acquired) {
        try {
          return await work();
        } finally {
          await this.locks.release(got.lock).catch(() => undefined);
        }
      }
      // Another change of this appointment is in flight: changes apply one after the other.
      if (Date.now() > until || !(await this.locks.waitReleased(key, until - Date.now()))) {
        throw new Error(`appointment ${appointmentId} is locked by another change`);
      }
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
    return { appointment: appointmentView(a, service, staff), customer: customer ? customerView(customer) : null };
  }
}
