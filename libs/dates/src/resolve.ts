import { ParsedWhen, TimeWish, mergeWhen, parseWhen } from './parse';
import { LocalDate, ZonedNow, addDays, compareDates, daysBetween, startOfDay, toInstant, weekdayOf } from './zone';

/**
 * A caller's wish resolved against "now" and the company's opening hours: one exact start, a window of days
 * (optionally limited to a time of day), or "whenever is free" — or the question the agent must ask.
 * Pure: no clock, no I/O.
 */
export type Wish =
  | { kind: 'exact'; start: Date; date: LocalDate; minuteOfDay: number; approximate?: true }
  | { kind: 'window'; days: LocalDate[]; window: [number, number] | null; minuteOfDay: number | null }
  | { kind: 'any' };

export type WishProblem =
  | { problem: 'invalid_date' | 'invalid_time' | 'date_in_past' }
  /** A time alone that has passed today: "Meinen Sie morgen um …?". */
  | { problem: 'time_passed_today'; minuteOfDay: number }
  /** "halb drei" where the company is open at 02:30 and 14:30 (or at neither and both are ahead): which one? */
  | { problem: 'ambiguous_time'; options: { hour: number; minute: number }[] };

/** Opening hours per weekday in the company's zone: `{ mon: [['09:00','12:00'], ['13:00','17:00']] }`. */
export type OpeningHours = Partial<Record<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun', [string, string][]>>;
const KEYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const MAX_RANGE_DAYS = 14;
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether the company is open at that minute of that day; true when no hours are configured at all. */
export function openAt(hours: OpeningHours | null | undefined, date: LocalDate, minuteOfDay: number): boolean {
  if (!hours || !Object.values(hours).some((r) => r && r.length)) return true;
  return (hours[KEYS[weekdayOf(date)]] ?? []).some(([a, b]) => minuteOfDay >= minutes(a) && minuteOfDay < minutes(b));
}

/** The two readings of an ambiguous clock time (the usual one first), else just the one. */
export function readings(t: Extract<TimeWish, { kind: 'time' }>): { hour: number; minute: number }[] {
  const first = { hour: t.hour, minute: t.minute };
  return t.ambiguous ? [first, { hour: (t.hour + 12) % 24, minute: t.minute }] : [first];
}

const configured = (hours: OpeningHours | null | undefined): hours is OpeningHours => !!hours && Object.values(hours).some((r) => r && r.length);

/**
 * Settles an ambiguous hour on a given day with the opening hours: the one reading the company is open at
 * wins; with both open it is a question; with neither (or no hours configured) the usual reading stands, and
 * a closed time is then refused with alternatives. `notBefore` (minute of today) drops readings already past.
 */
export function settleTime(
  t: Extract<TimeWish, { kind: 'time' }>,
  date: LocalDate,
  hours: OpeningHours | null | undefined,
  notBefore?: number,
): { hour: number; minute: number } | { options: { hour: number; minute: number }[] } {
  const all = readings(t);
  if (all.length === 1 || !configured(hours)) return all[0];
  const pool = notBefore === undefined ? all : all.filter((r) => r.hour * 60 + r.minute > notBefore);
  const open = pool.filter((r) => openAt(hours, date, r.hour * 60 + r.minute));
  if (open.length === 1) return open[0];
  if (open.length > 1) return { options: [...open].sort((a, b) => a.hour - b.hour) };
  return all[0];
}

export function resolveWish(
  parsed: ParsedWhen,
  now: ZonedNow,
  said: { date: boolean; time: boolean },
  hours?: OpeningHours | null,
): { wish: Wish } | WishProblem {
  if (said.date && !parsed.date) return { problem: 'invalid_date' };
  if (said.time && !parsed.time) return { problem: 'invalid_time' };
  const today: LocalDate = { year: now.local.year, month: now.local.month, day: now.local.day };
  const nowMinute = now.local.hour * 60 + now.local.minute;
  const time = parsed.time;
  const window: [number, number] | null = time?.kind === 'period' ? [time.from, time.to] : null;

  let days: LocalDate[];
  let minuteOfDay: number | null = null;
  if (parsed.date?.kind === 'day') {
    if (compareDates(parsed.date.date, today) < 0) return { problem: 'date_in_past' };
    days = [parsed.date.date];
  } else if (parsed.date?.kind === 'range') {
    if (compareDates(parsed.date.to, today) < 0) return { problem: 'date_in_past' };
    const from = compareDates(parsed.date.from, today) < 0 ? today : parsed.date.from;
    const n = Math.min(daysBetween(from, parsed.date.to) + 1, MAX_RANGE_DAYS);
    days = Array.from({ length: n }, (_, i) => addDays(from, i));
  } else if (time?.kind === 'time') {
    // A time without a day: today if it is still ahead (for "um 9" also: or its other reading is ahead and
    // open), else tomorrow.
    const usualAhead = time.hour * 60 + time.minute > nowMinute;
    const openAhead = configured(hours) && readings(time).some((r) => r.hour * 60 + r.minute > nowMinute && openAt(hours, today, r.hour * 60 + r.minute));
    days = [usualAhead || openAhead ? today : addDays(today, 1)];
  } else if (window) {
    days = [window[1] > nowMinute ? today : addDays(today, 1)];
  } else {
    return { wish: { kind: 'any' } };
  }

  if (time?.kind === 'time') {
    const isToday = days.length === 1 && compareDates(days[0], today) === 0;
    const settled = days.length === 1 ? settleTime(time, days[0], hours, isToday ? nowMinute : undefined) : readings(time)[0];
    if ('options' in settled) return { problem: 'ambiguous_time', options: settled.options };
    minuteOfDay = settled.hour * 60 + settled.minute;
  }

  if (days.length === 1 && minuteOfDay !== null) {
    const date = days[0];
    const start = toInstant({ ...date, hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60 }, now.timeZone);
    if (start.getTime() <= now.instant.getTime()) return { problem: 'time_passed_today', minuteOfDay };
    const approximate = time?.kind === 'time' && time.approximate ? { approximate: true as const } : {};
    return { wish: { kind: 'exact', start, date, minuteOfDay, ...approximate } };
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

/**
 * What a caller said (as one utterance, or as separate date / time / date-time arguments) resolved in one
 * step — what the voice functions and the benchmark use.
 */
export function understand(
  input: string | { date?: string; time?: string; datetime?: string },
  now: ZonedNow,
  hours?: OpeningHours | null,
): { wish: Wish } | WishProblem {
  if (typeof input === 'string') {
    const parsed = parseWhen(input, now, 'date');
    return resolveWish(parsed, now, { date: !!parsed.date || !parsed.time, time: false }, hours);
  }
  const parts = [parseWhen(input.datetime, now, 'date'), parseWhen(input.date, now, 'date'), parseWhen(input.time, now, 'time')];
  const dateSaid = (!!input.date && !parts[1].time) || (!!input.datetime && !parts[0].time);
  return resolveWish(mergeWhen(...parts), now, { date: dateSaid, time: !!input.time }, hours);
}
