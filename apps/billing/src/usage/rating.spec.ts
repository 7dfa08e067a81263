import { freeSecondsFor, periodOf, rateTalkTime, splitDebit } from './rating';

const perSecond = (seconds: number, perMinuteMinor: number, discountBasisPoints = 0) =>
  rateTalkTime({ seconds, perMinuteMinor, mode: 'per_second', discountBasisPoints });

describe('talk-time rating (seed-behaviour §11 examples)', () => {
  it.each([
    [157, 12, 31],
    [61, 12, 12],
    [120, 12, 24],
    [5, 12, 1],
    [3723, 15, 931],
    [120, 8, 16],
    [60, 29, 29], // 0.29 €/min is 29 ct, never truncated to 28
    [0, 12, 0],
    [30, 1, 1], // 0.5 rounds half up
    [29, 1, 0],
  ])('%i s at %i/min per second is %i', (seconds, rate, expected) => {
    expect(perSecond(seconds, rate)).toBe(expected);
  });

  it('bills whole started minutes in the legacy per-minute mode', () => {
    expect(rateTalkTime({ seconds: 157, perMinuteMinor: 12, mode: 'per_minute', discountBasisPoints: 0 })).toBe(36);
    expect(rateTalkTime({ seconds: 60, perMinuteMinor: 12, mode: 'per_minute', discountBasisPoints: 0 })).toBe(12);
    expect(rateTalkTime({ seconds: 61, perMinuteMinor: 12, mode: 'per_minute', discountBasisPoints: 0 })).toBe(24);
  });

  it('applies a discount inside the single rounding', () => {
    expect(perSecond(600, 10, 2500)).toBe(75); // 100 ct − 25 % (the seed's test says 750: a unit slip there)
    expect(perSecond(157, 12, 1000)).toBe(28); // 28.26
    // 2 s at 29/min = 0.967, −50 % = 0.483 → 0; rounding the price first and the discount again would give 1
    expect(perSecond(2, 29, 5000)).toBe(0);
    expect(perSecond(100, 10, 10000)).toBe(0);
  });

  it('stays exact for very long calls (no float drift)', () => {
    expect(perSecond(999_999_999, 29)).toBe(483_333_333); // 483333332.85 → …333
  });

  it('refuses fractional or negative input, naming the field', () => {
    expect(() => perSecond(1.5, 12)).toThrow(/seconds/);
    expect(() => perSecond(10, 0.29)).toThrow(/perMinuteMinor/);
    expect(() => perSecond(10, 12, 10001)).toThrow(/discountBasisPoints/);
  });

  it('spends the monthly free allowance first', () => {
    expect(freeSecondsFor(100, 300, 250)).toBe(50);
    expect(freeSecondsFor(100, 300, 300)).toBe(0);
    expect(freeSecondsFor(100, 0, 0)).toBe(0);
    expect(freeSecondsFor(100, 1000, 0)).toBe(100);
  });

  it('spends bonus credit before paid credit', () => {
    expect(splitDebit(30, 100)).toEqual({ fromBonus: 30, fromPaid: 0 });
    expect(splitDebit(30, 10)).toEqual({ fromBonus: 10, fromPaid: 20 });
    expect(splitDebit(30, 0)).toEqual({ fromBonus: 0, fromPaid: 30 });
  });

  it('assigns usage to the UTC month it ended in', () => {
    expect(periodOf(new Date('2026-11-30T23:59:59.999Z'))).toBe('2026-11');
    expect(periodOf(new Date('2026-12-01T00:00:00.000+01:00'))).toBe('2026-11');
  });
});
