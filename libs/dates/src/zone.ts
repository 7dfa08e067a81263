/**
 * Calendar arithmetic in a company's IANA time zone with the Intl API only. A `LocalDate` is a day on the
 * company's wall calendar; instants are `Date`s. Conversions go through the zone's offset at that moment, so
 * daylight-saving days come out right.
 */
export interface LocalDate {
  year: number;
  month: number; // 1-12
  day: number;
}
export interface LocalDateTime extends LocalDate {
  hour: number;
  minute: number;
}
/** "Now" as the caller's business sees it. */
export interface ZonedNow {
  instant: Date;
  timeZone: string;
  local: LocalDateTime;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset at `ms` the slow way: Intl's wall-clock fields compared with UTC's. */
function exactOffset(ms: number, timeZone: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute, p.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

/**
 * Offsets by zone and quarter hour. Intl is slow (it dominated booking's CPU per availability check) and an offset
 * only changes at a transition, so each quarter hour is asked once: a quarter hour whose start and end agree has one
 * offset throughout (transitions fall on whole minutes, and never twice in 15 minutes); one with a transition inside
 * is never cached and always asked exactly.
 */
const QUARTER_HOUR_MS = 15 * 60_000;
const offsetCache = new Map<string, number>();

/** Minutes east of UTC that `timeZone` is at `instant`. */
export function offsetMinutes(instant: Date, timeZone: string): number {
  const ms = instant.getTime();
  const quarter = Math.floor(ms / QUARTER_HOUR_MS);
  const key = `${timeZone}|${quarter}`;
  const known = offsetCache.get(key);
  if (known !== undefined) return known;
  const start = quarter * QUARTER_HOUR_MS;
  const atStart = exactOffset(start, timeZone);
  if (exactOffset(start + QUARTER_HOUR_MS - 60_000, timeZone) !== atStart) return exactOffset(ms, timeZone);
  if (offsetCache.size >= 100_000) offsetCache.clear(); // bounded: a long-running process sees many quarter hours
  offsetCache.set(key, atStart);
  return atStart;
}

/** Wall-clock fields of `instant` in `timeZone`. */
export function zonedParts(instant: Date, timeZone: string): LocalDateTime & { second: number } {
  const wall = new Date(instant.getTime() + offsetMinutes(instant, timeZone) * 60_000);
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
  };
}

/**
 * The instant at which the wall clock in `timeZone` shows `local`. In the spring gap the time is moved
 * forward by the gap; in the autumn overlap the earlier instant wins.
 */
export function toInstant(local: LocalDateTime, timeZone: string): Date {
  const guess = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  // Offsets a day either side cover both sides of any transition on this day.
  const before = guess - offsetMinutes(new Date(guess - 86400000), timeZone) * 60000;
  const after = guess - offsetMinutes(new Date(guess + 86400000), timeZone) * 60000;
  const shows = (t: number) => {
    const q = zonedParts(new Date(t), timeZone);
    return q.day === local.day && q.hour === local.hour && q.minute === local.minute;
  };
  const valid = [before, after].filter(shows);
  // Overlap: both are valid, the earlier wins. Gap: neither is; the offset before the gap moves it forward.
  return new Date(valid.length ? Math.min(...valid) : before);
}

export function zonedNow(timeZone: string, instant: Date = new Date()): ZonedNow {
  const p = zonedParts(instant, timeZone);
  const local = { year: p.year, month: p.month, day: p.day, hour: p.hour, minute: p.minute };
  return { instant, timeZone, local, weekday: weekdayOf(local) };
}

export function weekdayOf(date: LocalDate): number {
  return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
}

export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Whole days from `a` to `b` (b − a). */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86400000);
}

export function compareDates(a: LocalDate, b: LocalDate): number {
  return daysBetween(b, a);
}

export function isValidDate(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(year) || !Number.isInteger(month) || !Number.isInteger(day)) return false;
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const pad = (n: number) => String(n).padStart(2, '0');
export const isoDate = (d: LocalDate) => `${d.year}-${pad(d.month)}-${pad(d.day)}`;
export const germanDate = (d: LocalDate) => `${pad(d.day)}.${pad(d.month)}.${d.year}`;
export const hhmm = (t: { hour: number; minute: number }) => `${pad(t.hour)}:${pad(t.minute)}`;

/** ISO 8601 with the zone's offset at that instant (`2025-11-03T14:30:00+01:00`), as callers' companies see it. */
export function isoInZone(instant: Date, timeZone: string): string {
  const p = zonedParts(instant, timeZone);
  const off = offsetMinutes(instant, timeZone);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Start of the local day (00:00) as an instant. */
export const startOfDay = (date: LocalDate, timeZone: string) => toInstant({ ...date, hour: 0, minute: 0 }, timeZone);
