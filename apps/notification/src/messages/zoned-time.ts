import { toInstant, zonedParts } from '@receptionist/dates';

/**
 * Quiet hours in a company's IANA time zone. The wall-clock arithmetic (daylight-saving gaps and overlaps included)
 * is libs/dates' (the voice agent's date understanding uses the same).
 */

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
  const l = zonedParts(instant, timeZone);
  const t = l.hour * 60 + l.minute;
  return start < end ? t >= start && t < end : t >= start || t < end;
}

/** `instant` itself outside quiet hours, else the first instant after them (their end, in the zone's wall time). */
export function afterQuietHours(instant: Date, quiet: QuietHours | null, timeZone: string): Date {
  if (!quiet || !inQuietHours(instant, quiet, timeZone)) return instant;
  const start = toMinutes(quiet[0]);
  const end = toMinutes(quiet[1]);
  const l = zonedParts(instant, timeZone);
  const t = l.hour * 60 + l.minute;
  // Wrapping quiet hours seen before midnight end tomorrow; otherwise they end today.
  const endsTomorrow = start > end && t >= start;
  const day = new Date(Date.UTC(l.year, l.month - 1, l.day + (endsTomorrow ? 1 : 0)));
  return toInstant({ year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), hour: Math.floor(end / 60), minute: end % 60 }, timeZone);
}
