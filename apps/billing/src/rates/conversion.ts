import { z } from 'zod';

/**
 * Display conversion between the platform's currencies, exact in integer minor units.
 *
 * Rates are ECB reference rates: units of a currency per 1 EUR, as decimal strings ("1.085"), kept as exact
 * fractions (BigInt numerator over a power of ten) — never multiplied as floats. A conversion from A to B goes
 * through EUR: amountB = amountA × perEur[B] / perEur[A] (× 10^(digits B − digits A) for the minor units), computed
 * as one exact fraction and rounded ONCE, half-up with ties away from zero (the EU conversion rule, Reg. 1103/97
 * art. 5), so −x always converts to −(x converted). Used to show amounts in another currency; never to charge.
 */
export const DISPLAY_CURRENCIES = ['EUR', 'USD', 'GBP'] as const;
export type DisplayCurrency = (typeof DISPLAY_CURRENCIES)[number];

/** Minor-unit digits (ISO 4217 exponent). */
export const MINOR_DIGITS: Record<DisplayCurrency, number> = { EUR: 2, USD: 2, GBP: 2 };

/** Units of each currency per 1 EUR as exact decimal strings; EUR is always "1". */
export type EurRates = Record<DisplayCurrency, string>;

interface Fraction {
  num: bigint;
  den: bigint;
}

const DECIMAL_RE = /^(\d+)(?:\.(\d{1,20}))?$/;

/** "1.085" → 1085/1000. Only plain positive decimals (at most 20 decimals); anything else is refused. */
export function parseDecimal(value: string): Fraction {
  const m = DECIMAL_RE.exec(value);
  if (!m) throw new Error(`not a plain decimal: ${value}`);
  const decimals = m[2] ?? '';
  const num = BigInt(m[1] + decimals);
  if (num <= 0n) throw new Error(`rate must be positive: ${value}`);
  return { num, den: 10n ** BigInt(decimals.length) };
}

/**
 * A rate as received in JSON (a number) → its shortest exact decimal string. JavaScript prints a double as the
 * shortest string that reads back to it, which is the decimal the source wrote for any rate of ≤ 15 digits.
 */
export function rateToDecimal(n: number): string {
  if (!Number.isFinite(n) || n <= 0) throw new Error('rate must be a positive finite number');
  const s = String(n);
  if (/e/i.test(s)) {
    // 1e-7 and the like: fixed notation with the digits trimmed.
    const fixed = n.toFixed(12).replace(/0+$/, '').replace(/\.$/, '');
    return fixed;
  }
  return s;
}

/** The exact rate from → to (units of `to` per unit of `from`), crossing through EUR. */
export function crossRate(rates: EurRates, from: DisplayCurrency, to: DisplayCurrency): Fraction {
  if (from === to) return { num: 1n, den: 1n };
  const a = parseDecimal(rates[from]);
  const b = parseDecimal(rates[to]);
  // (b.num / b.den) / (a.num / a.den)
  return { num: b.num * a.den, den: b.den * a.num };
}

/** Divides rounding half-up with ties away from zero (den > 0). */
export function divideHalfAwayFromZero(num: bigint, den: bigint): bigint {
  if (den <= 0n) throw new Error('denominator must be positive');
  const negative = num < 0n;
  const abs = negative ? -num : num;
  let q = abs / den;
  if ((abs % den) * 2n >= den) q += 1n;
  return negative ? -q : q;
}

/** Converts an amount in minor units of `from` into minor units of `to`: one exact fraction, one rounding. */
export function convertMinor(amountMinor: number, rates: EurRates, from: DisplayCurrency, to: DisplayCurrency): number {
  if (!Number.isSafeInteger(amountMinor)) throw new Error('amount must be an integer number of minor units');
  if (from === to) return amountMinor;
  const rate = crossRate(rates, from, to);
  const shift = MINOR_DIGITS[to] - MINOR_DIGITS[from];
  let num = BigInt(amountMinor) * rate.num;
  let den = rate.den;
  if (shift > 0) num *= 10n ** BigInt(shift);
  if (shift < 0) den *= 10n ** BigInt(-shift);
  return Number(divideHalfAwayFromZero(num, den));
}

/** The cross rate for display (10 significant digits; conversions use the exact fraction, not this number). */
export function displayRate(rates: EurRates, from: DisplayCurrency, to: DisplayCurrency): number {
  const r = crossRate(rates, from, to);
  return Number((Number(r.num) / Number(r.den)).toPrecision(10));
}

/**
 * Frankfurter's `GET /latest?base=EUR&symbols=GBP,USD` (v1 wire format):
 * `{"amount":1.0,"base":"EUR","date":"2026-11-24","rates":{"GBP":0.855,"USD":1.085}}`.
 * Anything else — another base, a missing currency, a zero, negative or non-numeric rate, a bad date — is garbage,
 * and garbage is treated like an outage (the last good rates stay in use).
 */
const positiveRate = z.number().finite().positive();
export const frankfurterLatestSchema = z.object({
  amount: z.literal(1),
  base: z.literal('EUR'),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  rates: z.object({ GBP: positiveRate, USD: positiveRate }),
});

export interface RatesSnapshot {
  /** ECB publication date of the rates (YYYY-MM-DD). */
  date: string;
  rates: EurRates;
  /** When this platform fetched them (ISO instant). */
  fetchedAt: string;
}

/** Parses a Frankfurter answer into a snapshot, or throws naming what was wrong. */
export function parseFrankfurterLatest(body: unknown, fetchedAt: Date): RatesSnapshot {
  const parsed = frankfurterLatestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`unexpected exchange rates answer: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const { date, rates } = parsed.data;
  return { date, rates: { EUR: '1', USD: rateToDecimal(rates.USD), GBP: rateToDecimal(rates.GBP) }, fetchedAt: fetchedAt.toISOString() };
}

/** Reads a snapshot back from the cache; null when it is not one (a foreign or old value is ignored, not trusted). */
const snapshotSchema = z.object({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  rates: z.object({ EUR: z.literal('1'), USD: z.string().regex(DECIMAL_RE), GBP: z.string().regex(DECIMAL_RE) }),
  fetchedAt: z.string(),
});
export function readSnapshot(raw: string | null): RatesSnapshot | null {
  if (!raw) return null;
  try {
    const parsed = snapshotSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
