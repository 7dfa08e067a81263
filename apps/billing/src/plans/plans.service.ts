import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import type { PlanDefinition } from '@receptionist/contracts';
import { LOGGER, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { BillingEnv } from '../config';
import { BillingFailure } from '../common/billing-failure';
import type { Currency } from '../ledger/ledger.service';
import { StripeClient } from '../stripe/stripe.client';

export interface PlanPrice {
  fee: number;
  overagePerMinute: number;
  overagePerBooking: number;
}

export interface Plan {
  code: string;
  name: string;
  interval: 'month' | 'year';
  includedMinutes: number;
  includedBookings: number;
  trialDays: number;
  postpaid: boolean;
  active: boolean;
  prices: Partial<Record<Currency, PlanPrice>>;
}

/**
 * The plans the operator offers (admin API and BILLING_PLANS). Stripe objects are made when first needed (the
 * first subscription in a currency), with idempotency keys from the plan's own data, so a retried or repeated
 * request never makes a second product or price; a changed fee is a new Stripe price (Stripe prices never change).
 */
@Injectable()
export class PlansService implements OnApplicationBootstrap {
  constructor(
    private readonly dataSource: DataSource,
    private readonly stripe: StripeClient,
    @Inject(SERVICE_CONFIG) private readonly config: BillingEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap() {
    for (const plan of this.config.BILLING_PLANS) await this.upsert(plan, { fromConfig: true });
    if (this.config.BILLING_PLANS.length) this.logger.info({ plans: this.config.BILLING_PLANS.map((p) => p.code) }, 'plans from BILLING_PLANS applied');
  }

  async upsert(def: PlanDefinition, options: { fromConfig?: boolean } = {}): Promise<Plan> {
    await this.dataSource.transaction(async (manager) => {
      const now = new Date();
      const [existing] = await manager.query('SELECT billing_interval FROM plan WHERE code = ? FOR UPDATE', [def.code]);
      if (existing && existing.billing_interval !== def.interval && !options.fromConfig) {
        const [used] = await manager.query(`SELECT COUNT(*) AS n FROM subscription WHERE plan_code = ? AND status <> 'canceled'`, [def.code]);
        if (Number(used.n) > 0) throw new BillingFailure('conflict', `interval: ${used.n} subscription(s) bill plan ${def.code} ${existing.billing_interval}ly; offer a new plan instead`);
      }
      await manager.query(
        `INSERT INTO plan (code, name, billing_interval, included_minutes, included_bookings, trial_days, postpaid, active, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE name = VALUES(name), billing_interval = VALUES(billing_interval), included_minutes = VALUES(included_minutes),
           included_bookings = VALUES(included_bookings), trial_days = VALUES(trial_days), postpaid = VALUES(postpaid), active = VALUES(active), updated_at = VALUES(updated_at)`,
        [def.code, def.name, def.interval, def.includedMinutes, def.includedBookings, def.trialDays, def.postpaid ? 1 : 0, def.active ? 1 : 0, now, now],
      );
      const current: { currency: string; fee_minor: string }[] = await manager.query('SELECT currency, fee_minor FROM plan_price WHERE plan_code = ?', [def.code]);
      for (const row of current) {
        if (def.prices[row.currency as Currency]) continue;
        const [used] = await manager.query(`SELECT COUNT(*) AS n FROM subscription WHERE plan_code = ? AND currency = ? AND status <> 'canceled'`, [def.code, row.currency]);
        if (Number(used.n) > 0) throw new BillingFailure('conflict', `prices.${row.currency}: ${used.n} subscription(s) pay plan ${def.code} in ${row.currency}; it cannot be withdrawn`);
        await manager.query('DELETE FROM plan_price WHERE plan_code = ? AND currency = ?', [def.code, row.currency]);
      }
      for (const [currency, price] of Object.entries(def.prices) as [Currency, PlanPrice][]) {
        // A new fee (or interval) needs a new Stripe price: forget the old one, made again when next needed.
        await manager.query(
          `INSERT INTO plan_price (plan_code, currency, fee_minor, overage_per_minute_minor, overage_per_booking_minor) VALUES (?, ?, ?, ?, ?)
           ON DUPLICATE KEY UPDATE stripe_price_id = IF(fee_minor = VALUES(fee_minor) AND ? = ?, stripe_price_id, NULL),
             fee_minor = VALUES(fee_minor), overage_per_minute_minor = VALUES(overage_per_minute_minor), overage_per_booking_minor = VALUES(overage_per_booking_minor)`,
          [def.code, currency, price.fee, price.overagePerMinute, price.overagePerBooking, existing?.billing_interval ?? def.interval, def.interval],
        );
      }
    });
    return (await this.get(def.code))!;
  }

  async list(includeInactive: boolean, manager: EntityManager = this.dataSource.manager): Promise<Plan[]> {
    const plans = await manager.query(`SELECT * FROM plan${includeInactive ? '' : ' WHERE active = 1'} ORDER BY code`);
    const prices = await manager.query('SELECT * FROM plan_price');
    return plans.map((p: Record<string, unknown>) => toPlan(p, prices.filter((r: Record<string, unknown>) => r.plan_code === p.code)));
  }

  async get(code: string, manager: EntityManager = this.dataSource.manager): Promise<Plan | null> {
    const [p] = await manager.query('SELECT * FROM plan WHERE code = ?', [code]);
    if (!p) return null;
    return toPlan(p, await manager.query('SELECT * FROM plan_price WHERE plan_code = ?', [code]));
  }

  /** The Stripe price of a plan in a currency, created (product too) the first time it is needed. */
  async stripePrice(plan: Plan, currency: Currency): Promise<string> {
    const [row] = await this.dataSource.query('SELECT p.stripe_product_id, pp.stripe_price_id, pp.fee_minor FROM plan p JOIN plan_price pp ON pp.plan_code = p.code WHERE p.code = ? AND pp.currency = ?', [plan.code, currency]);
    if (row?.stripe_price_id) return row.stripe_price_id;
    let productId: string | null = row?.stripe_product_id ?? null;
    if (!productId) {
      const product = await this.stripe.call('products.create', (s) => s.products.create({ name: plan.name, metadata: { plan_code: plan.code } }, { idempotencyKey: `plan-product:${plan.code}` }));
      await this.dataSource.query('UPDATE plan SET stripe_product_id = COALESCE(stripe_product_id, ?) WHERE code = ?', [product.id, plan.code]);
      productId = (await this.dataSource.query('SELECT stripe_product_id FROM plan WHERE code = ?', [plan.code]))[0].stripe_product_id as string;
    }
    const fee = Number(row.fee_minor);
    const price = await this.stripe.call('prices.create', (s) =>
      s.prices.create(
        { product: productId!, currency: currency.toLowerCase(), unit_amount: fee, recurring: { interval: plan.interval }, nickname: plan.name, metadata: { plan_code: plan.code } },
        { idempotencyKey: `plan-price:${plan.code}:${currency}:${plan.interval}:${fee}` },
      ),
    );
    await this.dataSource.query('UPDATE plan_price SET stripe_price_id = ? WHERE plan_code = ? AND currency = ? AND fee_minor = ?', [price.id, plan.code, currency, fee]);
    return price.id;
  }
}

function toPlan(p: Record<string, unknown>, prices: Record<string, unknown>[]): Plan {
  return {
    code: p.code as string,
    name: p.name as string,
    interval: p.billing_interval as 'month' | 'year',
    includedMinutes: Number(p.included_minutes),
    includedBookings: Number(p.included_bookings),
    trialDays: Number(p.trial_days),
    postpaid: Boolean(Number(p.postpaid)),
    active: Boolean(Number(p.active)),
    prices: Object.fromEntries(
      prices.map((r) => [r.currency as Currency, { fee: Number(r.fee_minor), overagePerMinute: Number(r.overage_per_minute_minor), overagePerBooking: Number(r.overage_per_booking_minor) }]),
    ),
  };
}
