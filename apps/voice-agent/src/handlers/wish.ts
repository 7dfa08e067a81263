import {
  LocalDate,
  ParsedWhen,
  ZonedNow,
  addDays,
  compareDates,
  daysBetween,
  startOfDay,
  toInstant,
  zonedParts,
} from '../dates';

/**
 * A caller's wish resolved against "now": one exact start, a window of days (optionally limited to a time
 * of day), or "whenever is free". Pure, so the choice of options is unit-tested without booking.
 */
export type Wish =
  | { kind: 'exact'; start: Date; date: LocalDate; minuteOfDay: number }
  | { kind: 'window'; days: LocalDate[]; window: [number, number] | null; minuteOfDay: number | null }
  | { kind: 'any' };

export type WishProblem = { problem: 'invalid_date' | 'invalid_time' | 'date_in_past' | 'time_passed_today'; minuteOfDay?: number };

const MAX_RANGE_DAYS = 14;

export function resolveWish(parsed: ParsedWhen, now: ZonedNow, said: { date: boolean; time: boolean }): { wish: Wish } | WishProblem {
  if (said.date && !parsed.date) return { problem: 'invalid_date' };
  if (said.time && !parsed.time) return { problem: 'invalid_time' };
  const today: LocalDate = { year: now.local.year, month: now.local.month, day: now.local.day };
  const nowMinute = now.local.hour * 60 + now.local.minute;
  const time = parsed.time;
  const minuteOfDay = time?.kind === 'time' ? time.hour * 60 + time.minute : null;
  const window: [number, number] | null = time?.kind === 'period' ? [time.from, time.to] : null;

  let days: LocalDate[];
  if (parsed.date?.kind === 'day') {
    if (compareDates(parsed.date.date, today) < 0) return { problem: 'date_in_past' };
    days = [parsed.date.date];
  } else if (parsed.date?.kind === 'range') {
    if (compareDates(parsed.date.to, today) < 0) return { problem: 'date_in_past' };
    const from = compareDates(parsed.date.from, today) < 0 ? today : parsed.date.from;
    const n = Math.min(daysBetween(from, parsed.date.to) + 1, MAX_RANGE_DAYS);
    days = Array.from({ length: n }, (_, i) => addDays(from, i));
  } else if (minuteOfDay !== null) {
    // A time without a day: today if it is still ahead, else tomorrow.
    days = [minuteOfDay > nowMinute ? today : addDays(today, 1)];
  } else if (window) {
    days = [window[1] > nowMinute ? today : addDays(today, 1)];
  } else {
    return { wish: { kind: 'any' } };
  }

  if (days.length === 1 && minuteOfDay !== null) {
    const date = days[0];
    const start = toInstant({ ...date, hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60 }, now.timeZone);
    if (start.getTime() <= now.instant.getTime()) return { problem: 'time_passed_today', minuteOfDay };
    return { wish: { kind: 'exact', start, date, minuteOfDay } };
  }
  return { wish: { kind: 'window', days, window, minuteOfDay } };
}

/** The instants a wish needs free slots for: [from, to). */
export function searchRange(wish: Wish, now: ZonedNow, horizonDays: number): { from: Date; to: Date } {
  if (wish.kind === 'any') return { from: now.instant, to: new Date(now.instant.getTime() + horizonDays * 86400000) };
  const days = wish.kind === 'exact' ? [wish.date] : wish.days;
  const from = startOfDay(days[0], now.timeZone);
  return { from: from < now.instant ? now.instant : from, to: startOfDay(addDays(days[days.length - 1], 1), now.timeZone) };
}

const minuteOf = (d: Date, tz: string) => {
  const p = zonedParts(d, tz);
  return p.hour * 60 + p.minute;
};
const dayKey = (d: Date, tz: string) => {
  const p = zonedParts(d, tz);
  return `${p.year}-${p.month}-${p.day}`;
};

/** `n` items spread over the list (first, …, last), in order. */
export function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  if (n === 1) return [items[0]];
  const picked = new Set<number>();
  for (let i = 0; i < n; i++) picked.add(Math.round((i * (items.length - 1)) / (n - 1)));
  return [...picked].sort((a, b) => a - b).map((i) => items[i]);
}

/** Per day (first `n` days that have one), the slot closest to `minuteOfDay`, or the first in `window`. */
function onePerDay(slots: Date[], tz: string, n: number, pick: (daySlots: Date[]) => Date | undefined): Date[] {
  const byDay = new Map<string, Date[]>();
  for (const s of slots) {
    const k = dayKey(s, tz);
    byDay.set(k, [...(byDay.get(k) ?? []), s]);
  }
  const out: Date[] = [];
  for (const daySlots of byDay.values()) {
    const p = pick(daySlots);
    if (p) out.push(p);
    if (out.length >= n) break;
  }
  return out;
}

const closestTo = (minute: number, tz: string) => (daySlots: Date[]) =>
  [...daySlots].sort((a, b) => Math.abs(minuteOf(a, tz) - minute) - Math.abs(minuteOf(b, tz) - minute) || a.getTime() - b.getTime())[0];
const inWindow = (w: [number, number], tz: string) => (s: Date) => {
  const m = minuteOf(s, tz);
  return m >= w[0] && m < w[1];
};

export interface Options {
  /** For an exact wish: whether that very start is free. */
  available: boolean | null;
  /** Up to `max` starts to offer, in time order. */
  options: Date[];
  /** The options lie outside what was asked (another day or time of day). */
  alternatives: boolean;
}

/**
 * Chooses what to offer from the free `slots` of the wish's own range and, when that range has nothing
 * suitable, from `later` (the days after it).
 */
export function chooseOptions(wish: Wish, slots: Date[], later: Date[], tz: string, max = 3): Options {
  if (wish.kind === 'any') {
    // The earliest free times, at least an hour apart so the choice is a real one.
    const out: Date[] = [];
    for (const s of slots) if (!out.length || s.getTime() - out[out.length - 1].getTime() >= 3600000) if (out.push(s) >= max) break;
    return { available: null, options: out, alternatives: false };
  }
  if (wish.kind === 'exact') {
    if (slots.some((s) => s.getTime() === wish.start.getTime())) return { available: true, options: [wish.start], alternatives: false };
    const sameDay = [...slots]
      // Nearest first; at equal distance the later one (callers rarely mind a little later).
      .sort((a, b) => Math.abs(a.getTime() - wish.start.getTime()) - Math.abs(b.getTime() - wish.start.getTime()) || b.getTime() - a.getTime())
      .slice(0, max)
      .sort((a, b) => a.getTime() - b.getTime());
    const more = sameDay.length >= 2 ? [] : onePerDay(later, tz, max - sameDay.length, closestTo(wish.minuteOfDay, tz));
    return { available: false, options: [...sameDay, ...more], alternatives: true };
  }
  const { days, window, minuteOfDay } = wish;
  const fits = window ? slots.filter(inWindow(window, tz)) : slots;
  if (fits.length) {
    if (days.length === 1) {
      if (minuteOfDay !== null) return { available: null, options: [closestTo(minuteOfDay, tz)(fits)], alternatives: false };
      return { available: null, options: spread(fits, max), alternatives: false };
    }
    const pick = minuteOfDay !== null ? closestTo(minuteOfDay, tz) : (d: Date[]) => d[0];
    return { available: null, options: onePerDay(fits, tz, max, pick), alternatives: false };
  }
  // Nothing in the wished range: the same time of day on the following days, else anything that day.
  const laterFits = window ? later.filter(inWindow(window, tz)) : later;
  const pick = minuteOfDay !== null ? closestTo(minuteOfDay, tz) : (d: Date[]) => d[0];
  const next = onePerDay(laterFits, tz, max, pick);
  if (next.length) return { available: null, options: next, alternatives: true };
  if (window && slots.length) {
    const mid = (window[0] + window[1]) / 2;
    return { available: null, options: [...slots].sort((a, b) => Math.abs(minuteOf(a, tz) - mid) - Math.abs(minuteOf(b, tz) - mid)).slice(0, max).sort((a, b) => a.getTime() - b.getTime()), alternatives: true };
  }
  return { available: null, options: [], alternatives: true };
}
