import Holidays from 'date-holidays';
import { LocalDate, OpeningHours, ZonedNow, addDays, isoDate, toInstant, weekdayOf } from '@receptionist/dates';
import type { Catalogue, TransferNumberView } from '../booking/booking-data';

const DAY_KEYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Public holidays of the company's country, read from its time zone (nationwide ones only: no region is known). */
const COUNTRY_OF_ZONE: Record<string, string> = { 'Europe/Berlin': 'DE', 'Europe/Vienna': 'AT', 'Europe/Zurich': 'CH', 'Europe/London': 'GB', 'Europe/Amsterdam': 'NL' };
const holidayCalendars = new Map<string, Holidays>();

/** The public holiday's name on that local date in the company's country, in the caller's language; null: none. */
export function publicHoliday(timeZone: string, lang: 'de' | 'en', date: LocalDate): string | null {
  const country = COUNTRY_OF_ZONE[timeZone];
  if (!country) return null;
  const key = `${country}:${lang}`;
  let calendar = holidayCalendars.get(key);
  if (!calendar) {
    calendar = new Holidays(country, { languages: [lang], types: ['public'] });
    holidayCalendars.set(key, calendar);
  }
  const found = calendar.getHolidays(date.year).find((h) => h.type === 'public' && h.date.startsWith(isoDate(date)));
  return found?.name ?? null;
}

export interface HandoffTarget {
  number: string;
  label: string | null;
}

/** The hand-off numbers of the call's branch (its own, else the company's) with the hours each is staffed. */
export function handoffNumbers(catalogue: Catalogue | null, branchId: string | null): { number: TransferNumberView; hours: OpeningHours }[] {
  if (!catalogue) return [];
  const branch = catalogue.branches.find((b) => b.branchId === branchId) ?? null;
  const numbers = branch?.transferNumbers.length ? branch.transferNumbers : catalogue.transferNumbers;
  const fallback = (branch?.openingHours ?? catalogue.openingHours ?? {}) as OpeningHours;
  return numbers.map((n) => ({ number: n, hours: (n.hours as OpeningHours | undefined) ?? fallback }));
}

/** The first number staffed right now (not on a public holiday); null when nobody is there. */
export function staffedNow(catalogue: Catalogue | null, branchId: string | null, now: ZonedNow, timeZone: string): HandoffTarget | null {
  const today: LocalDate = { year: now.local.year, month: now.local.month, day: now.local.day };
  if (publicHoliday(timeZone, 'de', today)) return null;
  const minute = now.local.hour * 60 + now.local.minute;
  const found = handoffNumbers(catalogue, branchId).find(({ hours }) => (hours[DAY_KEYS[weekdayOf(today)]] ?? []).some(([a, b]) => minute >= minutes(a) && minute < minutes(b)));
  return found ? { number: found.number.number, label: found.number.label } : null;
}

/** When someone is next there to call back: the earliest staffed start after now within two weeks. */
export function nextStaffed(catalogue: Catalogue | null, branchId: string | null, now: ZonedNow, timeZone: string): Date | null {
  const numbers = handoffNumbers(catalogue, branchId);
  if (!numbers.length) return null;
  const today: LocalDate = { year: now.local.year, month: now.local.month, day: now.local.day };
  const nowMinute = now.local.hour * 60 + now.local.minute;
  for (let i = 0; i < 14; i++) {
    const date = addDays(today, i);
    if (publicHoliday(timeZone, 'de', date)) continue;
    const starts = numbers
      .flatMap(({ hours }) => hours[DAY_KEYS[weekdayOf(date)]] ?? [])
      .map(([a]) => minutes(a))
      .filter((m) => i > 0 || m > nowMinute)
      .sort((a, b) => a - b);
    if (starts.length) return toInstant({ ...date, hour: Math.floor(starts[0] / 60), minute: starts[0] % 60 }, timeZone);
  }
  return null;
}
