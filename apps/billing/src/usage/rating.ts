/**
 * Talk-time rating, in integer minor units only (seed-behaviour §11, with its defects fixed):
 * - per second (default): rate × seconds / 60, rounded half up once, at the end;
 * - per minute (legacy): rate × ⌈seconds / 60⌉;
 * - a discount (basis points) is applied inside the same single rounding, never rounded twice;
 * - the rate is an integer number of minor units per minute as configured (0.29 €/min is 29, never truncated).
 * BigInt keeps the intermediate product exact whatever the call length.
 */
export type BillingMode = 'per_second' | 'per_minute';

export interface RateInput {
  seconds: number;
  perMinuteMinor: number;
  mode: BillingMode;
  discountBasisPoints: number;
}

/** round(n / d) half up, for n ≥ 0, d > 0. */
function divRoundHalfUp(n: bigint, d: bigint): bigint {
  return (n * 2n + d) / (d * 2n);
}

export function rateTalkTime({ seconds, perMinuteMinor, mode, discountBasisPoints }: RateInput): number {
  if (!Number.isInteger(seconds) || seconds < 0) throw new RangeError('seconds: must be a whole number ≥ 0');
  if (!Number.isInteger(perMinuteMinor) || perMinuteMinor < 0) throw new RangeError('perMinuteMinor: must be a whole number ≥ 0');
  if (!Number.isInteger(discountBasisPoints) || discountBasisPoints < 0 || discountBasisPoints > 10000) {
    throw new RangeError('discountBasisPoints: must be a whole number 0..10000');
  }
  const keep = BigInt(10000 - discountBasisPoints);
  const rate = BigInt(perMinuteMinor);
  if (mode === 'per_minute') {
    const minutes = BigInt(Math.ceil(seconds / 60));
    return Number(divRoundHalfUp(rate * minutes * keep, 10000n));
  }
  return Number(divRoundHalfUp(rate * BigInt(seconds) * keep, 60n * 10000n));
}

/** Seconds of a call covered by what is left of the month's free allowance. */
export function freeSecondsFor(billableSeconds: number, allowanceSeconds: number, usedThisMonth: number): number {
  return Math.max(0, Math.min(billableSeconds, allowanceSeconds - usedThisMonth));
}

/** How a debit splits: bonus credit is spent before paid credit; paid credit may go below zero (a call already happened). */
export function splitDebit(amount: number, bonusBalance: number): { fromBonus: number; fromPaid: number } {
  const fromBonus = Math.min(Math.max(bonusBalance, 0), amount);
  return { fromBonus, fromPaid: amount - fromBonus };
}

/** `YYYY-MM` of an instant in UTC: usage belongs to the month the call ended in. */
export const periodOf = (at: Date) => at.toISOString().slice(0, 7);
