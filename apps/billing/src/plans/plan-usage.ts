import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { Currency } from '../ledger/ledger.service';
import { rateTalkTime } from '../usage/rating';

/** Subscription states in which the plan's allowance and overage rates apply (a canceled plan falls back to prices). */
export const PLAN_IN_FORCE = ['trialing', 'active', 'past_due', 'unpaid'];

/**
 * One call's usage against the company's plan in the subscription's current period: the allowance first, then the
 * plan's overage rate. Used under the company's account lock (UsageService), so the period's counters cannot race.
 */
export class PlanCharge {
  constructor(
    readonly companyId: string,
    readonly periodStart: Date,
    readonly planCode: string,
    readonly postpaid: boolean,
    readonly overagePerMinute: number,
    readonly overagePerBooking: number,
    private readonly includedSeconds: number,
    private readonly includedBookings: number,
    private usedSeconds: number,
    private usedBookings: number,
  ) {}

  private delta = { seconds: 0, bookings: 0, overageSeconds: 0, overageBookings: 0, overageMinor: 0 };

  /** Seconds covered by the allowance, and the overage's price (per second, rounded half up once per call). */
  talk(seconds: number): { free: number; amount: number } {
    const free = Math.max(0, Math.min(seconds, this.includedSeconds - this.usedSeconds));
    const amount = rateTalkTime({ seconds: seconds - free, perMinuteMinor: this.overagePerMinute, mode: 'per_second', discountBasisPoints: 0 });
    this.usedSeconds += seconds;
    Object.assign(this.delta, { seconds: this.delta.seconds + seconds, overageSeconds: this.delta.overageSeconds + seconds - free, overageMinor: this.delta.overageMinor + amount });
    return { free, amount };
  }

  bookings(count: number): { free: number; amount: number } {
    const free = Math.max(0, Math.min(count, this.includedBookings - this.usedBookings));
    const amount = (count - free) * this.overagePerBooking;
    this.usedBookings += count;
    Object.assign(this.delta, { bookings: this.delta.bookings + count, overageBookings: this.delta.overageBookings + count - free, overageMinor: this.delta.overageMinor + amount });
    return { free, amount };
  }

  async save(manager: EntityManager): Promise<void> {
    const d = this.delta;
    if (!d.seconds && !d.bookings) return;
    await manager.query(
      `UPDATE plan_usage SET used_seconds = used_seconds + ?, used_bookings = used_bookings + ?, overage_seconds = overage_seconds + ?, overage_bookings = overage_bookings + ?,
         overage_minor = overage_minor + ? WHERE company_id = ? AND period_start = ?`,
      [d.seconds, d.bookings, d.overageSeconds, d.overageBookings, d.overageMinor, this.companyId, this.periodStart],
    );
    this.delta = { seconds: 0, bookings: 0, overageSeconds: 0, overageBookings: 0, overageMinor: 0 };
  }
}

export interface PlanPeriodView {
  periodStart: string;
  periodEnd: string;
  planCode: string;
  currency: string;
  postpaid: boolean;
  includedMinutes: number;
  includedBookings: number;
  usedSeconds: number;
  usedBookings: number;
  overageSeconds: number;
  overageBookings: number;
  /** What the overage cost (debited from the balance, or invoiced for a postpaid plan), minor units. */
  overage: number;
  closed: boolean;
  stripeInvoiceItemId: string | null;
}

@Injectable()
export class PlanUsage {
  constructor(private readonly dataSource: DataSource) {}

  /** The company's plan in force and its current period's counters (the period row made on first use), or null. */
  async forCharge(manager: EntityManager, companyId: string, accountCurrency: Currency): Promise<PlanCharge | null> {
    const [s] = await manager.query(
      `SELECT s.plan_code, s.currency, s.current_period_start, s.current_period_end, p.included_minutes, p.included_bookings, p.postpaid,
         pp.overage_per_minute_minor, pp.overage_per_booking_minor
       FROM subscription s JOIN plan p ON p.code = s.plan_code JOIN plan_price pp ON pp.plan_code = s.plan_code AND pp.currency = s.currency
       WHERE s.company_id = ? AND s.status IN (${PLAN_IN_FORCE.map(() => '?').join(',')}) AND s.current_period_start IS NOT NULL`,
      [companyId, ...PLAN_IN_FORCE],
    );
    if (!s || s.currency !== accountCurrency) return null;
    const start = new Date(s.current_period_start);
    await manager.query(
      `INSERT IGNORE INTO plan_usage (company_id, period_start, period_end, plan_code, currency, postpaid, included_seconds, included_bookings) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [companyId, start, new Date(s.current_period_end), s.plan_code, s.currency, Number(s.postpaid), Number(s.included_minutes) * 60, Number(s.included_bookings)],
    );
    const [u] = await manager.query('SELECT included_seconds, included_bookings, used_seconds, used_bookings FROM plan_usage WHERE company_id = ? AND period_start = ?', [companyId, start]);
    return new PlanCharge(companyId, start, s.plan_code, Boolean(Number(s.postpaid)), Number(s.overage_per_minute_minor), Number(s.overage_per_booking_minor), Number(u.included_seconds), Number(u.included_bookings), Number(u.used_seconds), Number(u.used_bookings));
  }

  async periods(companyId: string, limit: number): Promise<PlanPeriodView[]> {
    const rows = await this.dataSource.query('SELECT * FROM plan_usage WHERE company_id = ? ORDER BY period_start DESC LIMIT ?', [companyId, limit]);
    return rows.map(periodView);
  }
}

export function periodView(r: Record<string, unknown>): PlanPeriodView {
  return {
    periodStart: new Date(r.period_start as string).toISOString(),
    periodEnd: new Date(r.period_end as string).toISOString(),
    planCode: r.plan_code as string,
    currency: r.currency as string,
    postpaid: Boolean(Number(r.postpaid)),
    includedMinutes: Number(r.included_seconds) / 60,
    includedBookings: Number(r.included_bookings),
    usedSeconds: Number(r.used_seconds),
    usedBookings: Number(r.used_bookings),
    overageSeconds: Number(r.overage_seconds),
    overageBookings: Number(r.overage_bookings),
    overage: Number(r.overage_minor),
    closed: r.closed_at !== null,
    stripeInvoiceItemId: (r.stripe_invoice_item_id as string | null) ?? null,
  };
}
