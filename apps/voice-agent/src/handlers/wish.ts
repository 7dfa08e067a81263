import { Wish, pickAlternatives, zonedParts } from '@receptionist/dates';

/**
 * Choosing what to offer for a caller's wish (resolved by `resolveWish` in libs/dates). Pure, so the choice
 * of options is unit-tested without booking.
 */
export { resolveWish, searchRange } from '@receptionist/dates';
export type { Wish, WishProblem } from '@receptionist/dates';

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
    // "gegen halb drei": a free start within half an hour is what was asked for.
    if (wish.approximate) {
      const near = slots.filter((s) => Math.abs(s.getTime() - wish.start.getTime()) <= 30 * 60000);
      if (near.length) return { available: false, options: [closestTo(wish.minuteOfDay, tz)(near)], alternatives: false };
    }
    const picked = pickAlternatives([...slots, ...later].map((d) => d.getTime()), wish.start.getTime(), tz, { limit: max });
    return { available: false, options: picked.map((a) => new Date(a.start)), alternatives: true };
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
