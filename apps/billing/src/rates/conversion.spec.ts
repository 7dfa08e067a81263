import { convertMinor, crossRate, displayRate, divideHalfAwayFromZero, EurRates, parseDecimal, parseFrankfurterLatest, rateToDecimal, readSnapshot } from './conversion';

// The rates simulator's defaults (libs/simulators/src/providers/rates.ts): units per 1 EUR.
const ECB: EurRates = { EUR: '1', USD: '1.085', GBP: '0.855' };

describe('display conversion in integer minor units', () => {
  it.each([
    [1000, 'EUR', 'USD', 1085],
    [-49, 'EUR', 'USD', -53], // −53.165
    [10, 'EUR', 'GBP', 9], // 8.55
    [1085, 'USD', 'EUR', 1000],
    [1000, 'USD', 'EUR', 922], // 921.659…
    [1000, 'USD', 'GBP', 788], // 855000 / 1085 = 788.018…
    [1000, 'GBP', 'USD', 1269], // 1085000 / 855 = 1269.005…
    [0, 'GBP', 'USD', 0],
    [1234, 'GBP', 'GBP', 1234],
  ] as const)('%i %s → %s is %i', (amount, from, to, expected) => {
    expect(convertMinor(amount, ECB, from, to)).toBe(expected);
  });

  it('rounds exact ties half away from zero, so a debit converts to minus the credit', () => {
    const rates: EurRates = { EUR: '1', USD: '1.25', GBP: '0.5' };
    expect([1, 2, 3, -2, -3].map((a) => convertMinor(a, rates, 'EUR', 'USD'))).toEqual([1, 3, 4, -3, -4]); // 1.25 2.5 3.75
    expect([1, 3, -1, -3].map((a) => convertMinor(a, rates, 'EUR', 'GBP'))).toEqual([1, 2, -1, -2]); // 0.5 1.5
    for (let a = -5000; a <= 5000; a += 7) expect(convertMinor(-a, ECB, 'USD', 'GBP')).toBe(-convertMinor(a, ECB, 'USD', 'GBP'));
  });

  it('crosses through EUR as one exact fraction, rounding once (not once per leg)', () => {
    const rates: EurRates = { EUR: '1', USD: '2', GBP: '5' };
    // 1 US cent = 0.5 euro cent = 2.5 pence → 3. Rounding the EUR leg first would give 1 → 5 pence.
    expect(convertMinor(1, rates, 'USD', 'GBP')).toBe(3);
    expect(crossRate(ECB, 'USD', 'GBP')).toEqual({ num: 855n * 1000n, den: 1000n * 1085n });
    expect(displayRate(ECB, 'USD', 'GBP')).toBe(0.7880184332);
    expect(displayRate(ECB, 'EUR', 'USD')).toBe(1.085);
    expect(displayRate(ECB, 'GBP', 'GBP')).toBe(1);
  });

  it('stays exact where floating point would not', () => {
    // 100 × 1.015 is 101.49999999999999 in doubles (Math.round → 101); exactly 101.5, a tie, → 102.
    const rates: EurRates = { EUR: '1', USD: '1.015', GBP: '0.855' };
    expect(Math.round(100 * 1.015)).toBe(101);
    expect(convertMinor(100, rates, 'EUR', 'USD')).toBe(102);
    expect(convertMinor(9_000_000_000_000, ECB, 'EUR', 'USD')).toBe(9_765_000_000_000);
    expect(() => convertMinor(1.5, ECB, 'EUR', 'USD')).toThrow(/integer/);
  });

  it('divides with one half-away-from-zero rounding', () => {
    expect([divideHalfAwayFromZero(5n, 2n), divideHalfAwayFromZero(-5n, 2n), divideHalfAwayFromZero(7n, 3n), divideHalfAwayFromZero(-8n, 3n)]).toEqual([3n, -3n, 2n, -3n]);
    expect(() => divideHalfAwayFromZero(1n, 0n)).toThrow();
  });

  it('reads rates as exact decimals and refuses anything else', () => {
    expect(parseDecimal('1.085')).toEqual({ num: 1085n, den: 1000n });
    expect(parseDecimal('162.5')).toEqual({ num: 1625n, den: 10n });
    for (const bad of ['0', '0.000', '-1.2', '1e3', 'abc', '', '1.']) expect(() => parseDecimal(bad)).toThrow();
    expect(rateToDecimal(1.085)).toBe('1.085');
    expect(rateToDecimal(1)).toBe('1');
    expect(rateToDecimal(1e-7)).toBe('0.0000001');
    expect(() => rateToDecimal(0)).toThrow();
    expect(() => rateToDecimal(Number.NaN)).toThrow();
  });
});

describe("Frankfurter's latest-rates answer", () => {
  const at = new Date('2026-11-24T15:00:00Z');

  it('parses the v1 wire format', () => {
    const body = JSON.parse('{"amount":1.0,"base":"EUR","date":"2026-11-24","rates":{"GBP":0.855,"USD":1.085}}');
    expect(parseFrankfurterLatest(body, at)).toEqual({ date: '2026-11-24', rates: ECB, fetchedAt: '2026-11-24T15:00:00.000Z' });
  });

  it.each([
    ['another base', { amount: 1, base: 'USD', date: '2026-11-24', rates: { GBP: 0.8, USD: 1 } }, /base/],
    ['a missing currency', { amount: 1, base: 'EUR', date: '2026-11-24', rates: { USD: 1.085 } }, /rates\.GBP/],
    ['a zero rate', { amount: 1, base: 'EUR', date: '2026-11-24', rates: { GBP: 0, USD: 1.085 } }, /rates\.GBP/],
    ['a negative rate', { amount: 1, base: 'EUR', date: '2026-11-24', rates: { GBP: 0.855, USD: -1 } }, /rates\.USD/],
    ['a rate as text', { amount: 1, base: 'EUR', date: '2026-11-24', rates: { GBP: '0.855', USD: 1.085 } }, /rates\.GBP/],
    ['an amount other than 1', { amount: 10, base: 'EUR', date: '2026-11-24', rates: { GBP: 8.55, USD: 10.85 } }, /amount/],
    ['a bad date', { amount: 1, base: 'EUR', date: 'yesterday', rates: { GBP: 0.855, USD: 1.085 } }, /date/],
    ['no JSON at all', undefined, /root/],
  ])('treats %s as garbage', (_what, body, message) => {
    expect(() => parseFrankfurterLatest(body, at)).toThrow(message);
  });

  it('reads cached snapshots back, ignoring anything that is not one', () => {
    const snapshot = parseFrankfurterLatest({ amount: 1, base: 'EUR', date: '2026-11-24', rates: { GBP: 0.855, USD: 1.085 } }, at);
    expect(readSnapshot(JSON.stringify(snapshot))).toEqual(snapshot);
    expect(readSnapshot(null)).toBeNull();
    expect(readSnapshot('not json')).toBeNull();
    expect(readSnapshot(JSON.stringify({ ...snapshot, rates: { ...snapshot.rates, USD: 1.085 } }))).toBeNull();
  });
});
