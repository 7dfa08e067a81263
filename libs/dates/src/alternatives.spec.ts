import { pickAlternatives } from './alternatives';
import { isoInZone, toInstant } from './zone';

const TZ = 'Europe/Berlin';
// Week of Mon 20.10.2025; free slots are generated per day from opening hours, minus what is booked.
const at = (day: number, hour: number, minute = 0) => toInstant({ year: 2025, month: 10, day, hour, minute }, TZ).getTime();
const show = (ms: number) => isoInZone(new Date(ms), TZ).slice(8, 16).replace('T', ' ');
const hourly = (day: number, from: number, to: number, booked: number[] = []) =>
  Array.from({ length: to - from }, (_, i) => from + i).filter((h) => !booked.includes(h)).map((h) => at(day, h));
const pick = (free: number[], wished: number, opts = {}) => pickAlternatives(free, wished, TZ, opts).map((a) => show(a.start));

describe('alternatives', () => {
  it('offers the nearest free time before and after on the same day, then the same time the next day', () => {
    const free = [...hourly(21, 9, 17, [14]), ...hourly(22, 9, 17)];
    expect(pick(free, at(21, 14))).toEqual(['21 13:00', '21 15:00', '22 14:00']);
  });

  it('never offers the wished time itself, nor two within half an hour on one day', () => {
    const free = [at(21, 13, 45), at(21, 14), at(21, 14, 15), at(21, 14, 30), at(21, 16)];
    expect(pick(free, at(21, 14))).toEqual(['21 13:45', '21 14:15', '21 16:00']);
  });

  it('a fully booked day: the same time of day on the following days', () => {
    const free = [...hourly(22, 9, 17), ...hourly(23, 9, 17, [14]), ...hourly(24, 9, 17)];
    expect(pick(free, at(21, 14))).toEqual(['22 14:00', '23 13:00', '24 14:00']);
  });

  it('a closed day (no slots at all on Sunday): the next open days, closest to the wished time', () => {
    const free = [...hourly(27, 9, 12), ...hourly(28, 13, 17)];
    expect(pick(free, at(26, 10))).toEqual(['27 09:00', '27 10:00', '28 13:00']);
  });

  it('a partly booked week: one per day, nearest to the wished time of day, in day order', () => {
    const free = [at(21, 9), at(21, 16), at(22, 11), at(23, 8), at(23, 10, 30), at(24, 15)];
    expect(pick(free, at(20, 10, 30), { limit: 4 })).toEqual(['21 09:00', '22 11:00', '23 10:30', '24 15:00']);
  });

  it('keeps the preferred part of the day while anything in it is free', () => {
    const free = [at(21, 9), at(21, 10), at(21, 15), at(21, 16), at(22, 14), at(23, 9)];
    const r = pickAlternatives(free, at(21, 14), TZ, { window: [13 * 60, 17 * 60] });
    expect(r.map((a) => show(a.start))).toEqual(['21 15:00', '21 16:00', '22 14:00']);
    expect(r.every((a) => a.matchesPreference)).toBe(true);
  });

  it('falls back to other times of day only when the preferred part is full, and says so', () => {
    const free = [at(21, 9), at(21, 10)];
    const r = pickAlternatives(free, at(21, 14), TZ, { window: [13 * 60, 17 * 60] });
    expect(r.map((a) => [show(a.start), a.matchesPreference])).toEqual([['21 09:00', false], ['21 10:00', false]]);
  });

  it('offers nothing rather than inventing slots, and honours the limit', () => {
    expect(pick([], at(21, 14))).toEqual([]);
    expect(pick(hourly(21, 9, 17, [14]), at(21, 14), { limit: 1 })).toEqual(['21 15:00']);
  });

  it('reads days in the company zone across the autumn switch', () => {
    // Sun 26.10.2025: clocks go back; 10:00 is still "the same time of day" on Monday.
    const free = [at(27, 10), at(27, 11)];
    expect(pick(free, at(26, 10))).toEqual(['27 10:00', '27 11:00']);
  });
});
