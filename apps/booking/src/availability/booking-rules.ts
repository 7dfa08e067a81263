import Holidays from 'date-holidays';
import { effectivePolicies } from '../appointments/policy';
import type { BookingCompanyEntity, OpeningHours, ServicePolicies } from '../catalogue/catalogue.entities';
import { BookingFailure } from '../common/booking-failure';
import { DAY_MS, MINUTE_MS, hhmmToMinutes, localDate, localMinutes, weekdayOf, zonedParts } from '../common/zoned-time';

/**
 * Whether [start, start+duration) lies inside one opening interval of its local weekday. A company without any
 * hours configured is not restricted (Cal.com's own availability still applies); with hours, an unlisted day is closed.
 */
export function withinOpeningHours(hours: OpeningHours, startMs: number, durationMinutes: number, timeZone: string, emptyMeansOpen = true): boolean {
  const days = Object.values(hours).filter((r) => r && r.length > 0);
  if (days.length === 0) return emptyMeansOpen;
  const date = localDate(startMs, timeZone);
  const from = localMinutes(startMs, timeZone);
  const to = from + durationMinutes;
  // An appointment running past local midnight is never inside one day's hours.
  if (localDate(startMs + durationMinutes * MINUTE_MS - 1, timeZone) !== date) return false;
  const ranges = hours[weekdayOf(date)] ?? [];
  return ranges.some(([open, close]) => from >= hhmmToMinutes(open) && to <= hhmmToMinutes(close));
}

const publicHolidays = new Map<string, Map<string, string>>();

/** `DE-BY`, 2026 → local date → holiday name; computed once per region and year (npm `date-holidays`). */
function holidaysOf(region: string, year: number): Map<string, string> {
  const key = `${region}:${year}`;
  let days = publicHolidays.get(key);
  if (!days) {
    const [country, state] = region.split('-');
    days = new Map(
      new Holidays(country, state)
        .getHolidays(year)
        .filter((h) => h.type === 'public')
        .map((h) => [h.date.slice(0, 10), h.name]),
    );
    if (publicHolidays.size > 500) publicHolidays.clear();
    publicHolidays.set(key, days);
  }
  return days;
}

/** Why the business is closed on the local day of `startMs` although its week says open (closure, holiday), or null. */
export function closedDay(company: Pick<BookingCompanyEntity, 'closures' | 'holidayRegion' | 'timeZone'>, startMs: number): string | null {
  const date = localDate(startMs, company.timeZone);
  const closure = (company.closures ?? []).find((c) => c.from <= date && date <= c.to);
  if (closure) return closure.reason ? `closed (${closure.reason})` : 'closed';
  if (company.holidayRegion) {
    const holiday = holidaysOf(company.holidayRegion, Number(date.slice(0, 4))).get(date);
    if (holiday) return `a public holiday (${holiday})`;
  }
  return null;
}

export interface StartCheck {
  company: Pick<BookingCompanyEntity, 'openingHours' | 'policies' | 'timeZone' | 'closures' | 'holidayRegion'>;
  /** The service's own overrides of the company's policies. */
  servicePolicies?: ServicePolicies | null;
  durationMinutes: number;
  startMs: number;
  now: number;
}

/** The rules every booking and reschedule target must pass, in the order a caller would want to hear them. */
export function checkStart({ company, servicePolicies, durationMinutes, startMs, now }: StartCheck): void {
  const { minNoticeMinutes, bookingHorizonDays } = effectivePolicies(company.policies, servicePolicies);
  if (startMs <= now) throw new BookingFailure('in_the_past', 'start: lies in the past');
  if (startMs < now + minNoticeMinutes * MINUTE_MS) {
    throw new BookingFailure('too_short_notice', `start: must be at least ${minNoticeMinutes} minutes ahead`, { minNoticeMinutes });
  }
  if (startMs > now + bookingHorizonDays * DAY_MS) {
    throw new BookingFailure('beyond_horizon', `start: must be within ${bookingHorizonDays} days`, { bookingHorizonDays });
  }
  if (!withinOpeningHours(company.openingHours, startMs, durationMinutes, company.timeZone)) {
    const p = zonedParts(startMs, company.timeZone);
    throw new BookingFailure('outside_opening_hours', `start: ${p.weekday} ${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')} is outside opening hours`);
  }
  const closed = closedDay(company, startMs);
  if (closed) throw new BookingFailure('outside_opening_hours', `start: ${localDate(startMs, company.timeZone)} is ${closed}`);
}

/** A slot the caller could be offered now: passes notice, horizon and opening hours. */
export function bookable(check: StartCheck): boolean {
  try {
    checkStart(check);
    return true;
  } catch {
    return false;
  }
}
