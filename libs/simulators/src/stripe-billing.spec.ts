import { addInterval, prorate } from './providers/stripe-billing';

const at = (iso: string) => Date.parse(iso) / 1000;
const iso = (unix: number) => new Date(unix * 1000).toISOString();

describe('Stripe Billing in the simulator', () => {
  it('renews monthly on the anchor day, the last day of a shorter month for the 31st', () => {
    expect(iso(addInterval(at('2026-01-31T10:00:00Z'), 'month'))).toBe('2026-02-28T10:00:00.000Z');
    expect(iso(addInterval(at('2028-01-31T10:00:00Z'), 'month'))).toBe('2028-02-29T10:00:00.000Z');
    expect(iso(addInterval(at('2026-12-15T00:00:00Z'), 'month'))).toBe('2027-01-15T00:00:00.000Z');
    expect(iso(addInterval(at('2028-02-29T00:00:00Z'), 'year'))).toBe('2029-02-28T00:00:00.000Z');
  });

  it('prorates as Stripe does: the amount for the remaining part of the period, rounded half up', () => {
    const start = at('2026-12-01T00:00:00Z');
    const end = at('2026-12-31T00:00:00Z'); // 30 days
    expect(prorate(2900, start + 10 * 86_400, start, end)).toBe(1933); // 2900 × 20/30 = 1933.33
    expect(prorate(7900, start + 10 * 86_400, start, end)).toBe(5267); // 5266.67
    expect(prorate(2900, end, start, end)).toBe(0);
    expect(prorate(2900, start, start, end)).toBe(2900);
    expect(prorate(3, start + 15 * 86_400, start, end)).toBe(2); // 1.5 → 2
  });
});
