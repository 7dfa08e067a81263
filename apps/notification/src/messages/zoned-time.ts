/**
 * Wall-clock arithmetic in a company's IANA time zone with the runtime's own tz data (Intl), so quiet hours hold
 * across daylight-saving changes without a date library.
 */

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormatters.set(timeZone, f);
  }
  return f;
}

/** True for a zone the runtime knows (`Europe/Berlin`), false for anything else. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    partsFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function localTime(instant: Date, timeZone: string): LocalTime {
  const out: Record<string, number> = {};
  for (const p of partsFormatter(timeZone).formatToParts(instant)) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return { year: out.year, month: out.month, day: out.day, hour: out.hour, minute: out.minute, second: out.second };
}

/** Offset of the zone from UTC at `instant`, in ms (Berlin in winter: +3 600 000). */
function offsetAt(instant: Date, timeZone: string): number {
  const l = localTime(instant, timeZone);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The instant at which the zone's clock shows the given local date and time. A time skipped by a DST jump resolves
 * to the instant after the jump; a repeated one to its first occurrence.
 */
export function zonedInstant(timeZone: string, year: number, month: number, day: number, hour: number, minute: number): Date {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // Offsets in force around that wall time (a zone changes offset at most once within a few hours).
  const before = offsetAt(new Date(wall - 6 * 3600_000), timeZone);
  const after = offsetAt(new Date(wall + 6 * 3600_000), timeZone);
  const matches = [...new Set([wall - before, wall - after])]
    .sort((a, b) => a - b)
    .filter((t) => {
      const l = localTime(new Date(t), timeZone);
      return l.year === year && l.month === month && l.day === day && l.hour === hour && l.minute === minute;
    });
  // Skipped by a spring-forward jump: the same wall time with the offset from before the jump lands after it.
  return new Date(matches[0] ?? wall - before);
}

const toMinutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
};

/** Quiet hours `[from, to]` (HH:MM, may wrap midnight: `['21:00', '08:00']`); equal bounds mean none. */
export type QuietHours = readonly [string, string];

export function inQuietHours(instant: Date, quiet: QuietHours | null, timeZone: string): boolean {
  if (!quiet) return false;
  const start = toMinutes(quiet[0]);
  const end = toMinutes(quiet[1]);
  if (start === end) return false;
  const l = localTime(instant, timeZone);
  const t = l.hour * 60 + l.minute;
  return start < end ? t >= start && t < end : t >= start || t < end;
}

/** `instant` itself outside quiet hours, else the first instant after them (their end, in the zone's wall time). */
export function afterQuietHours(instant: Date, quiet: QuietHours | null, timeZone: string): Date {
  if (!quiet || !inQuietHours(instant, quiet, timeZone)) return instant;
  const start = toMinutes(quiet[0]);
  const end = toMinutes(quiet[1]);
  const l = localTime(instant, timeZone);
  const t = l.hour * 60 + l.minute;
  // Wrapping quiet hours seen before midnight end tomorrow; otherwise they end today.
  const endsTomorrow = start > end && t >= start;
  const day = new Date(Date.UTC(l.year, l.month - 1, l.day + (endsTomorrow ? 1 : 0)));
  return zonedInstant(timeZone, day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), Math.floor(end / 60), end % 60);
}
