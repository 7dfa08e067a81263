/**
 * Booking's view of the platform's zone arithmetic (libs/dates): instants as epoch ms and local dates as
 * `YYYY-MM-DD` strings, the shapes of Cal.com's slots and of the opening-hours settings. All the arithmetic is
 * libs/dates'; this file only converts shapes.
 */
import * as dates from '@receptionist/dates';

export const MINUTE_MS = 60_000;
export const DAY_MS = 24 * 60 * MINUTE_MS;

/** The keys of a company's opening hours, indexed like `Date.getDay()`. */
export const WEEKDAY_KEYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type WeekdayKey = (typeof WEEKDAY_KEYS)[number];

export const isTimeZone = dates.isTimeZone;

const toLocalDate = (date: string): dates.LocalDate => {
  const [year, month, day] = date.split('-').map(Number);
  return { year, month, day };
};

export interface ZonedParts extends dates.LocalDateTime {
  second: number;
  weekday: WeekdayKey;
}

export function zonedParts(instant: number, tz: string): ZonedParts {
  const p = dates.zonedParts(new Date(instant), tz);
  return { ...p, weekday: WEEKDAY_KEYS[dates.weekdayOf(p)] };
}

/** The instant of a local date plus minutes of day in `tz` (spring gap: moved forward; autumn overlap: the earlier). */
export function localToInstant(date: string, minutesOfDay: number, tz: string): number {
  const day = dates.addDays(toLocalDate(date), Math.floor(minutesOfDay / 1440));
  const minutes = ((minutesOfDay % 1440) + 1440) % 1440;
  return dates.toInstant({ ...day, hour: Math.floor(minutes / 60), minute: minutes % 60 }, tz).getTime();
}

/** Local calendar date `YYYY-MM-DD` of an instant in `tz`. */
export const localDate = (instant: number, tz: string): string => dates.isoDate(dates.zonedParts(new Date(instant), tz));

/** Minutes since local midnight. */
export function localMinutes(instant: number, tz: string): number {
  const p = dates.zonedParts(new Date(instant), tz);
  return p.hour * 60 + p.minute;
}

export const addDays = (date: string, days: number): string => dates.isoDate(dates.addDays(toLocalDate(date), days));

export const weekdayOf = (date: string): WeekdayKey => WEEKDAY_KEYS[dates.weekdayOf(toLocalDate(date))];

/** `2050-09-05T09:00:00.000+02:00`: an instant with the zone's offset, with milliseconds as Cal.com writes them. */
export function formatInZone(instant: number, tz: string): string {
  const iso = dates.isoInZone(new Date(instant), tz);
  return `${iso.slice(0, 19)}.000${iso.slice(19)}`;
}

export const hhmmToMinutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
