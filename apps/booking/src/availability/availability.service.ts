import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { LOGGER, REDIS, SERVICE_CONFIG } from '@receptionist/service-runtime';
import { AppointmentsRepository } from '../appointments/appointments.repository';
import { CalcomApiError, CalcomClient, CalcomUnavailableError } from '../calcom';
import type { BookingCompanyEntity, ServiceEntity, StaffEntity } from '../catalogue/catalogue.entities';
import { CatalogueRepository } from '../catalogue/catalogue.repository';
import type { BusyTime } from '../appointments/appointments.repository';
import { BookingFailure } from '../common/booking-failure';
import { pickAlternatives } from '@receptionist/dates';
import { effectivePolicies } from '../appointments/policy';
import { DAY_MS, MINUTE_MS, addDays, formatInZone, localDate, localToInstant } from '../common/zoned-time';
import type { BookingEnv } from '../config';
import { availabilityCacheLookups } from './availability.metrics';
import { bookable, withinOpeningHours } from './booking-rules';

export interface SlotContext {
  company: BookingCompanyEntity;
  service: ServiceEntity;
  /** The caller's preferred staff member: only times when they are free (in any service) count. */
  staff?: StaffEntity | null;
}

/** One step of a composite booking as planned: which service, by whom, when. */
export interface PlannedStep {
  service: ServiceEntity;
  staff: StaffEntity | null;
  startMs: number;
  endMs: number;
}

export interface FreeStartsOptions {
  /** Bypass the cache (the re-check right before booking). */
  fresh?: boolean;
  /** The appointment being moved does not block its own new slot. */
  excludeAppointmentId?: string;
  now?: number;
  signal?: AbortSignal;
}

const MAX_RANGE_DAYS = 31;
const ALTERNATIVE_DAYS = 7;

/**
 * Free start times of a service: Cal.com v2 slots of its event type (cached in Redis per company, event type and
 * local day range), then our own rules on top — opening hours, minimum notice, horizon — and our own booked
 * appointments (which Cal.com may not show yet). Any booking change of a company's event type bumps a version
 * number that is part of every cache key, so stale entries are never read again (and a lookup racing with a
 * booking writes under the old version, where nobody reads).
 */
@Injectable()
export class AvailabilityService {
  private readonly inflight = new Map<string, Promise<number[]>>();

  constructor(
    private readonly calcom: CalcomClient,
    private readonly appointments: AppointmentsRepository,
    private readonly catalogueRepo: CatalogueRepository,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SERVICE_CONFIG) private readonly config: BookingEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    availabilityCacheLookups(); // registered (hit and miss at 0) before the first lookup
  }

  /** `availability.get`: free starts in [from, to), as ISO instants in the company's zone. */
  async get(ctx: SlotContext, from: string, to: string, signal?: AbortSignal) {
    const fromMs = Date.parse(from);
    const toMs = Date.parse(to);
    if (!(toMs > fromMs)) throw new BookingFailure('invalid_request', 'to: must be after from');
    if (toMs - fromMs > MAX_RANGE_DAYS * DAY_MS) throw new BookingFailure('invalid_request', `to: range must not exceed ${MAX_RANGE_DAYS} days`);
    const { starts, cached } = await this.freeStarts(ctx, fromMs, toMs, { signal });
    const tz = ctx.company.timeZone;
    return {
      serviceId: ctx.service.id,
      serviceName: ctx.service.name,
      durationMinutes: ctx.service.durationMinutes,
      timeZone: tz,
      slots: starts.map((s) => formatInZone(s, tz)),
      cached,
    };
  }

  async freeStarts(ctx: SlotContext, fromMs: number, toMs: number, options: FreeStartsOptions = {}): Promise<{ starts: number[]; cached: boolean }> {
    if (ctx.service.steps?.length) {
      const { plans, cached } = await this.compositePlans(ctx, fromMs, toMs, options);
      return { starts: plans.map((p) => p[0].startMs), cached };
    }
    const now = options.now ?? Date.now();
    const tz = ctx.company.timeZone;
    const duration = ctx.service.durationMinutes;
    const lower = Math.max(fromMs, now);
    if (toMs <= lower) return { starts: [], cached: false };
    const { starts, cached } = await this.calcomStarts(ctx, localDate(lower, tz), localDate(toMs - 1, tz), options);
    const candidates = starts.filter(
      (s) => s >= lower && s < toMs && bookable({ company: ctx.company, servicePolicies: ctx.service.policies, durationMinutes: duration, startMs: s, now }),
    );
    if (candidates.length === 0) return { starts: [], cached };
    const booked = await this.appointments.overlapping(
      ctx.company.companyId,
      ctx.service.calcomEventTypeId,
      new Date(candidates[0]),
      new Date(candidates[candidates.length - 1] + duration * MINUTE_MS),
      options.excludeAppointmentId,
    );
    let free = candidates.filter((s) => !clashes(booked, s, s + duration * MINUTE_MS));
    free = await this.withinWorkingHours(ctx, free, duration);
    if (ctx.staff && free.length) {
      const busy = await this.appointments.staffBusy(ctx.company.companyId, ctx.staff.id, new Date(free[0]), new Date(free[free.length - 1] + duration * MINUTE_MS), options.excludeAppointmentId);
      free = free.filter((s) => !clashes(busy, s, s + duration * MINUTE_MS));
    }
    return { starts: free, cached };
  }

  /**
   * A composite service's possible bookings starting in [from, to): every step fits right after the one before
   * (each step's own calendar free, its own rules met) and each step has a staff member who may do it and is
   * free then (the preferred one where they may). Steps without anyone assigned in the set-up need no one.
   */
  async compositePlans(ctx: SlotContext, fromMs: number, toMs: number, options: FreeStartsOptions = {}): Promise<{ plans: PlannedStep[][]; cached: boolean }> {
    const companyId = ctx.company.companyId;
    const now = options.now ?? Date.now();
    const steps = ctx.service.steps ?? [];
    const services = new Map((await this.catalogueRepo.findServicesByIds(companyId, steps.map((st) => st.serviceId))).map((sv) => [sv.id, sv]));
    const links = await this.catalogueRepo.listStaffServices(companyId);
    const staffRows = new Map((await this.catalogueRepo.listStaff(companyId, { activeOnly: true })).map((st) => [st.id, st]));
    let offset = 0;
    const layout = steps.map((st) => {
      const service = services.get(st.serviceId);
      if (!service || !service.active) throw new BookingFailure('unknown_service', `serviceId: a step of '${ctx.service.key}' is no longer offered`);
      const ids = st.staffIds.length ? st.staffIds : links.filter((l) => l.serviceId === service.id).map((l) => l.staffId);
      let eligible = ids.map((id) => staffRows.get(id)).filter((x): x is StaffEntity => !!x);
      // The caller's wish first, where that person may do the step.
      if (ctx.staff && eligible.some((e) => e.id === ctx.staff!.id)) eligible = [ctx.staff, ...eligible.filter((e) => e.id !== ctx.staff!.id)];
      const at = offset;
      offset += service.durationMinutes * MINUTE_MS;
      return { service, eligible, offset: at, durationMs: service.durationMinutes * MINUTE_MS };
    });
    const lower = Math.max(fromMs, now);
    if (toMs <= lower) return { plans: [], cached: false };
    let cached = true;
    const free: Set<number>[] = [];
    for (const step of layout) {
      const r = await this.freeStarts({ company: ctx.company, service: step.service }, lower + step.offset, toMs + step.offset, options);
      cached &&= r.cached;
      free.push(new Set(r.starts));
    }
    const total = offset;
    const candidates = [...free[0]].filter(
      (s) => layout.every((step, i) => free[i].has(s + step.offset)) && bookable({ company: ctx.company, servicePolicies: ctx.service.policies, durationMinutes: total / MINUTE_MS, startMs: s, now }),
    );
    if (!candidates.length) return { plans: [], cached };
    const span = { from: new Date(candidates[0]), to: new Date(candidates[candidates.length - 1] + total) };
    const busy = new Map<string, BusyTime[]>();
    for (const id of new Set(layout.flatMap((st) => st.eligible.map((e) => e.id)))) {
      busy.set(id, await this.appointments.staffBusy(companyId, id, span.from, span.to, options.excludeAppointmentId));
    }
    const plans: PlannedStep[][] = [];
    for (const s of candidates.sort((a, b) => a - b)) {
      const plan: PlannedStep[] = [];
      for (const step of layout) {
        const startMs = s + step.offset;
        const endMs = startMs + step.durationMs;
        const staff = step.eligible.find((e) => !clashes(busy.get(e.id) ?? [], startMs, endMs)) ?? null;
        if (step.eligible.length && !staff) break;
        plan.push({ service: step.service, staff, startMs, endMs });
      }
      if (plan.length === layout.length) plans.push(plan);
    }
    return { plans, cached };
  }

  /**
   * Staff working hours: with a preferred person, only their hours; otherwise, when everyone who performs the
   * service has hours set, a start at which at least one of them works (nobody with hours: the opening hours rule).
   */
  private async withinWorkingHours(ctx: SlotContext, starts: number[], duration: number): Promise<number[]> {
    if (!starts.length) return starts;
    const tz = ctx.company.timeZone;
    const works = (hours: StaffEntity['workingHours'], s: number) => !hours || withinOpeningHours(hours, s, duration, tz, false);
    if (ctx.staff) return starts.filter((s) => works(ctx.staff!.workingHours, s));
    const companyId = ctx.company.companyId;
    const performers = new Set((await this.catalogueRepo.listStaffServices(companyId)).filter((l) => l.serviceId === ctx.service.id).map((l) => l.staffId));
    if (!performers.size) return starts;
    const staff = (await this.catalogueRepo.listStaff(companyId, { activeOnly: true })).filter((st) => performers.has(st.id));
    if (!staff.length || staff.some((st) => !st.workingHours)) return starts;
    return starts.filter((s) => staff.some((st) => works(st.workingHours, s)));
  }

  /** Fresh from Cal.com (not the cache) plus our own bookings: may `startMs` be booked right now? */
  async isFree(ctx: SlotContext, startMs: number, options: Omit<FreeStartsOptions, 'fresh'> = {}): Promise<boolean> {
    const { starts } = await this.freeStarts(ctx, startMs, startMs + 1, { ...options, fresh: true });
    return starts.includes(startMs);
  }

  /**
   * Up to `limit` free starts to offer instead of the wished one (taken, closed or too soon): the nearest
   * before and after it on the same local day, then the following days at the same time of day, all already
   * inside opening hours, notice and horizon. Never the wished start itself.
   * A lookup failure yields no alternatives rather than an error: the caller already has the main answer.
   */
  async alternatives(ctx: SlotContext, wishedMs: number, options: { limit?: number; excludeAppointmentId?: string } = {}): Promise<string[]> {
    const tz = ctx.company.timeZone;
    const day = localDate(wishedMs, tz);
    const horizonEnd = Date.now() + effectivePolicies(ctx.company.policies, ctx.service.policies).bookingHorizonDays * DAY_MS;
    const toMs = Math.min(localToInstant(addDays(day, ALTERNATIVE_DAYS), 0, tz), horizonEnd + 1);
    try {
      const { starts } = await this.freeStarts(ctx, localToInstant(day, 0, tz), toMs, { excludeAppointmentId: options.excludeAppointmentId });
      // One rule for the whole platform (libs/dates): nearest before/after that day, then the same time on the next days.
      const picked = pickAlternatives(starts, wishedMs, tz, { limit: options.limit ?? 3 });
      return picked.map((a) => formatInZone(a.start, tz));
    } catch (error) {
      this.logger.warn({ err: error, companyId: ctx.company.companyId }, 'no alternatives: availability lookup failed');
      return [];
    }
  }

  /** Drops every cached range of this company's event type (booked, cancelled, moved — here or in Cal.com). */
  async invalidate(companyId: string, calcomEventTypeId: number): Promise<void> {
    const key = this.versionKey(companyId, calcomEventTypeId);
    try {
      await this.redis.multi().incr(key).expire(key, this.config.AVAILABILITY_CACHE_TTL_SECONDS * 2).exec();
    } catch (error) {
      this.logger.warn({ err: error, companyId, calcomEventTypeId }, 'availability cache not invalidated');
    }
  }

  private versionKey(companyId: string, eventTypeId: number) {
    return `booking:avail:v:${companyId}:${eventTypeId}`;
  }

  /** Cal.com slot starts (epoch ms, ascending) of the company's local days [fromDay, toDay]. */
  private async calcomStarts(ctx: SlotContext, fromDay: string, toDay: string, options: FreeStartsOptions): Promise<{ starts: number[]; cached: boolean }> {
    const companyId = ctx.company.companyId;
    const eventTypeId = ctx.service.calcomEventTypeId;
    const version = (await this.redis.get(this.versionKey(companyId, eventTypeId)).catch(() => null)) ?? '0';
    const key = `booking:avail:${companyId}:${eventTypeId}:${version}:${fromDay}:${toDay}`;
    if (!options.fresh) {
      const hit = await this.redis.get(key).catch(() => null);
      if (hit) {
        availabilityCacheLookups().inc({ result: 'hit' });
        return { starts: JSON.parse(hit) as number[], cached: true };
      }
      availabilityCacheLookups().inc({ result: 'miss' });
      // Single flight: concurrent misses of one range (e.g. many callers told "taken") share one Cal.com call.
      let pending = this.inflight.get(key);
      if (!pending) {
        pending = this.fetch(ctx, fromDay, toDay, key, options.signal).finally(() => this.inflight.delete(key));
        this.inflight.set(key, pending);
      }
      return { starts: await pending, cached: false };
    }
    return { starts: await this.fetch(ctx, fromDay, toDay, key, options.signal), cached: false };
  }

  private async fetch(ctx: SlotContext, fromDay: string, toDay: string, key: string, signal?: AbortSignal): Promise<number[]> {
    const tz = ctx.company.timeZone;
    let slots;
    try {
      slots = await this.calcom.getSlots(
        { eventTypeId: ctx.service.calcomEventTypeId },
        {
          start: new Date(localToInstant(fromDay, 0, tz)).toISOString(),
          end: new Date(localToInstant(addDays(toDay, 1), 0, tz) - 1).toISOString(),
          timeZone: tz,
        },
        { signal },
      );
    } catch (error) {
      if (error instanceof CalcomUnavailableError) throw new BookingFailure('calendar_unavailable', `Cal.com slots: ${error.reason}`);
      // Cal.com refused the question itself (unknown event type, bad key): a set-up problem; staff must call back.
      if (error instanceof CalcomApiError) throw new BookingFailure('calendar_unavailable', `Cal.com slots answered ${error.statusCode}: ${error.message}`);
      throw error;
    }
    const starts = [...new Set(Object.values(slots).flatMap((day) => day.map((s) => Date.parse(s.start))))]
      .filter((s) => Number.isFinite(s))
      .sort((a, b) => a - b);
    await this.redis.set(key, JSON.stringify(starts), 'EX', this.config.AVAILABILITY_CACHE_TTL_SECONDS).catch(() => undefined);
    return starts;
  }
}

/** Does [start, end) overlap any of the busy stretches? */
function clashes(busy: { startsAt: Date; endsAt: Date }[], start: number, end: number): boolean {
  return busy.some((a) => a.startsAt.getTime() < end && a.endsAt.getTime() > start);
}
