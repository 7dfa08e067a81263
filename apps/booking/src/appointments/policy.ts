import type { BookingPolicies, ServicePolicies } from '../catalogue/catalogue.entities';
import { MINUTE_MS } from '../common/zoned-time';

/**
 * The booking policies that apply to one appointment: the company's, overridden by its service's where the
 * set-up names them (most specific wins, seed-behaviour §7). Decisions are pure, take "now" as an argument
 * and are exact to the millisecond: a cancellation exactly `noticeHours` before the start is allowed, one
 * millisecond later it is not.
 */
export interface EffectivePolicies {
  minNoticeMinutes: number;
  cancellationNoticeHours: number;
  rescheduleNoticeHours: number;
  maxReschedules: number;
  bookingHorizonDays: number;
}

export function effectivePolicies(company: BookingPolicies, service?: ServicePolicies | null): EffectivePolicies {
  const base: EffectivePolicies = {
    minNoticeMinutes: company.minNoticeMinutes,
    cancellationNoticeHours: company.cancellationNoticeHours,
    rescheduleNoticeHours: company.rescheduleNoticeHours ?? company.cancellationNoticeHours,
    maxReschedules: company.maxReschedules,
    bookingHorizonDays: company.bookingHorizonDays,
  };
  const own = Object.fromEntries(Object.entries(service ?? {}).filter(([, v]) => typeof v === 'number')) as ServicePolicies;
  // A service that sets only its cancellation notice moves its reschedule notice with it, unless it sets both.
  if (own.cancellationNoticeHours !== undefined && own.rescheduleNoticeHours === undefined && company.rescheduleNoticeHours == null) {
    own.rescheduleNoticeHours = own.cancellationNoticeHours;
  }
  return { ...base, ...own };
}

export type PolicyAction = 'cancel' | 'reschedule';
export type PolicyRule = 'started' | 'cancellation_notice' | 'reschedule_notice' | 'max_reschedules';

export type PolicyDecision =
  | { allowed: true; action: PolicyAction; hoursLeft: number }
  | { allowed: false; action: PolicyAction; rule: PolicyRule; detail: string; data: Record<string, unknown> };

const HOUR_MS = 60 * MINUTE_MS;
const hoursLeftOf = (startMs: number, now: number) => Math.floor(((startMs - now) / HOUR_MS) * 10) / 10;

export function decideCancel(p: EffectivePolicies, startMs: number, now: number): PolicyDecision {
  const hoursLeft = hoursLeftOf(startMs, now);
  if (startMs <= now) return { allowed: false, action: 'cancel', rule: 'started', detail: 'appointmentId: the appointment has already started', data: { rule: 'started' } };
  if (startMs - now < p.cancellationNoticeHours * HOUR_MS) {
    return {
      allowed: false,
      action: 'cancel',
      rule: 'cancellation_notice',
      detail: `appointmentId: cancelling needs ${p.cancellationNoticeHours} hours notice`,
      data: { rule: 'cancellation_notice', noticeHours: p.cancellationNoticeHours, hoursLeft },
    };
  }
  return { allowed: true, action: 'cancel', hoursLeft };
}

export function decideReschedule(p: EffectivePolicies, startMs: number, now: number, rescheduledCount: number): PolicyDecision {
  const hoursLeft = hoursLeftOf(startMs, now);
  if (startMs <= now) return { allowed: false, action: 'reschedule', rule: 'started', detail: 'appointmentId: the appointment has already started', data: { rule: 'started' } };
  if (startMs - now < p.rescheduleNoticeHours * HOUR_MS) {
    return {
      allowed: false,
      action: 'reschedule',
      rule: 'reschedule_notice',
      detail: `appointmentId: moving needs ${p.rescheduleNoticeHours} hours notice`,
      data: { rule: 'reschedule_notice', noticeHours: p.rescheduleNoticeHours, hoursLeft },
    };
  }
  if (rescheduledCount >= p.maxReschedules) {
    return {
      allowed: false,
      action: 'reschedule',
      rule: 'max_reschedules',
      detail: `appointmentId: already moved ${rescheduledCount} times (maximum ${p.maxReschedules})`,
      data: { rule: 'max_reschedules', maxReschedules: p.maxReschedules, rescheduledCount },
    };
  }
  return { allowed: true, action: 'reschedule', hoursLeft };
}
