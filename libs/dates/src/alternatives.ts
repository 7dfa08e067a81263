import { zonedParts } from './zone';

/**
 * Which free slots to offer when the wished start is taken or closed (seed-behaviour §6, without its bugs):
 * the nearest free start before and after it on the same day, then the following days at the same time of
 * day (one per day), then more of the same day; a preferred part of the day is kept while anything in it is
 * free. Only slots from `free` are offered — the caller's list already passed opening hours, notice, horizon
 * and the service's rules — never the wished start itself, never two within `minGapMinutes` on one day.
 * Pure; instants are epoch ms.
 */
export interface AlternativeOptions {
  /** How many to offer (default 3). */
  limit?: number;
  /** Minutes after local midnight [from, to) the caller asked for ("nachmittags"): kept while possible. */
  window?: [number, number] | null;
  /** Minimum distance between two offers on the same day (default 30 min), so the choice is a real one. */
  minGapMinutes?: number;
}

export interface Alternative {
  start: number;
  sameDay: boolean;
  /** Inside the caller's preferred part of the day (always true without one). */
  matchesPreference: boolean;
}

export function pickAlternatives(free: number[], wished: number, timeZone: string, options: AlternativeOptions = {}): Alternative[] {
  const limit = options.limit ?? 3;
  const gap = (options.minGapMinutes ?? 30) * 60_000;
  const window = options.window ?? null;
  const local = (ms: number) => {
    const p = zonedParts(new Date(ms), timeZone);
    return { day: p.year * 10000 + p.month * 100 + p.day, minute: p.hour * 60 + p.minute };
  };
  const w = local(wished);
  const slots = [...new Set(free)].filter((s) => s !== wished).sort((a, b) => a - b).map((s) => ({ s, ...local(s) }));
  const inWindow = (x: { minute: number }) => !window || (x.minute >= window[0] && x.minute < window[1]);

  const chosen: (Alternative & { day: number })[] = [];
  const take = (x: { s: number; day: number }, matches: boolean) => {
    if (chosen.length >= limit || chosen.some((c) => c.start === x.s)) return;
    if (chosen.some((c) => c.day === x.day && Math.abs(c.start - x.s) < gap)) return;
    chosen.push({ start: x.s, day: x.day, sameDay: x.day === w.day, matchesPreference: matches });
  };

  for (const preferred of window ? [true, false] : [true]) {
    const pool = slots.filter((x) => (preferred ? inWindow(x) : !inWindow(x)));
    const sameDay = pool.filter((x) => x.day === w.day);
    const before = [...sameDay].reverse().find((x) => x.s < wished);
    const after = sameDay.find((x) => x.s > wished);
    // The nearer of the two first; at equal distance the later one (callers rarely mind a little later).
    const pair = [before, after].filter((x): x is NonNullable<typeof x> => !!x).sort((a, b) => Math.abs(a.s - wished) - Math.abs(b.s - wished) || b.s - a.s);
    pair.forEach((x) => take(x, preferred));
    // One per following day, the start closest to the wished time of day.
    const byDay = new Map<number, typeof pool>();
    for (const x of pool) if (x.day > w.day) byDay.set(x.day, [...(byDay.get(x.day) ?? []), x]);
    for (const day of [...byDay.keys()].sort((a, b) => a - b)) {
      const best = [...byDay.get(day)!].sort((a, b) => Math.abs(a.minute - w.minute) - Math.abs(b.minute - w.minute) || a.s - b.s)[0];
      take(best, preferred);
    }
    // Still room: more of the same day, nearest first.
    [...sameDay].sort((a, b) => Math.abs(a.s - wished) - Math.abs(b.s - wished) || b.s - a.s).forEach((x) => take(x, preferred));
    // Few days with anything free: more of those days, nearest in time.
    [...pool].sort((a, b) => Math.abs(a.s - wished) - Math.abs(b.s - wished) || a.s - b.s).forEach((x) => take(x, preferred));
    if (chosen.length >= limit) break;
  }
  return chosen.sort((a, b) => a.start - b.start).map(({ day: _day, ...a }) => a);
}
