import { parseWhen, toInstant, zonedNow } from '@receptionist/dates';
import { chooseOptions, resolveWish, spread } from './wish';

const TZ = 'Europe/Berlin';
const NOW = zonedNow(TZ, new Date('2025-10-20T08:00:00Z')); // Monday 10:00 Berlin
const at = (day: number, hour: number, minute = 0) => toInstant({ year: 2025, month: 10, day, hour, minute }, TZ);
const resolve = (date?: string, time?: string) => {
  const parsed = { date: parseWhen(date, NOW).date, time: parseWhen(time, NOW, 'time').time };
  return resolveWish(parsed, NOW, { date: !!date, time: !!time });
};

describe('resolving a wish', () => {
  it('gives an exact start for a day and a time', () => {
    expect(resolve('morgen', '14:30')).toEqual({ wish: { kind: 'exact', start: at(21, 14, 30), date: { year: 2025, month: 10, day: 21 }, minuteOfDay: 870 } });
  });
  it('reads a time alone as today if still ahead, else tomorrow', () => {
    expect(resolve(undefined, '14:00')).toMatchObject({ wish: { kind: 'exact', start: at(20, 14) } });
    expect(resolve(undefined, '9:00')).toMatchObject({ wish: { kind: 'exact', start: at(21, 9) } });
  });
  it('refuses the past and what it cannot read', () => {
    expect(resolve('17.10.2025')).toEqual({ problem: 'date_in_past' });
    expect(resolve('heute', '9:00')).toEqual({ problem: 'time_passed_today', minuteOfDay: 540 });
    expect(resolve('irgendwann')).toEqual({ problem: 'invalid_date' });
    expect(resolve('morgen', 'bald')).toEqual({ problem: 'invalid_time' });
  });
  it('gives windows for days, periods and weeks, and "any" for nothing', () => {
    expect(resolve('morgen', 'nachmittags')).toEqual({ wish: { kind: 'window', days: [{ year: 2025, month: 10, day: 21 }], window: [780, 1020], minuteOfDay: null } });
    const week = resolve('nächste Woche');
    expect('wish' in week && week.wish.kind === 'window' && week.wish.days.length).toBe(7);
    expect(resolve()).toEqual({ wish: { kind: 'any' } });
  });
});

describe('choosing options', () => {
  const day21 = [9, 10, 11, 13, 14, 15, 16].map((h) => at(21, h));
  it('confirms a free exact wish', () => {
    expect(chooseOptions({ kind: 'exact', start: at(21, 14), date: { year: 2025, month: 10, day: 21 }, minuteOfDay: 840 }, day21, [], TZ)).toEqual({ available: true, options: [at(21, 14)], alternatives: false });
  });
  it('offers the nearest same-day times when the wish is taken', () => {
    const r = chooseOptions({ kind: 'exact', start: at(21, 12), date: { year: 2025, month: 10, day: 21 }, minuteOfDay: 720 }, day21, [], TZ);
    expect(r.available).toBe(false);
    expect(r.options).toEqual([at(21, 11), at(21, 13), at(21, 14)]);
  });
  it('looks at the following days, at the same time of day, when the day is full', () => {
    const later = [at(22, 9), at(22, 14), at(23, 13, 30), at(24, 8)];
    const r = chooseOptions({ kind: 'exact', start: at(21, 14), date: { year: 2025, month: 10, day: 21 }, minuteOfDay: 840 }, [], later, TZ);
    expect(r.options).toEqual([at(22, 14), at(23, 13, 30), at(24, 8)]);
  });
  it('keeps to the period asked for, spread over it', () => {
    const r = chooseOptions({ kind: 'window', days: [{ year: 2025, month: 10, day: 21 }], window: [780, 1020], minuteOfDay: null }, day21, [], TZ);
    expect(r.options).toEqual([at(21, 13), at(21, 15), at(21, 16)]);
    expect(r.alternatives).toBe(false);
  });
  it('offers one time per day across a week', () => {
    const slots = [at(27, 9), at(27, 10), at(28, 11), at(29, 9)];
    const r = chooseOptions({ kind: 'window', days: [], window: null, minuteOfDay: null }, slots, [], TZ);
    expect(r.options).toEqual([at(27, 9), at(28, 11), at(29, 9)]);
  });
  it('offers the earliest times at least an hour apart for "whenever"', () => {
    const slots = [at(21, 9), at(21, 9, 30), at(21, 10), at(21, 10, 30), at(21, 11)];
    expect(chooseOptions({ kind: 'any' }, slots, [], TZ).options).toEqual([at(21, 9), at(21, 10), at(21, 11)]);
  });
  it('spreads picks over a list', () => {
    expect(spread([1, 2, 3, 4, 5, 6, 7], 3)).toEqual([1, 4, 7]);
    expect(spread([1, 2], 3)).toEqual([1, 2]);
  });
});
