/**
 * Plan period close for BENCH_PLAN_COMPANIES companies (default 10 000) whose subscriptions all moved to a new period
 * at once (the first of the month): billing (in-process, its own database on the real MariaDB) closes every ended
 * period, and each postpaid plan's overage (BENCH_PLAN_POSTPAID_PCT % of the companies, default 20) becomes one
 * Stripe invoice item through the official SDK against the Stripe simulator. Measured: wall time and Stripe requests,
 * printed beside a floor: one bulk UPDATE closing the same rows, plus the same number of raw SDK requests at the same
 * concurrency (8), the least Stripe needs (it has no batch API for invoice items). A second close must do nothing.
 *
 *   node -r @swc-node/register tools/bench/plan-period-close.ts
 */
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { RunningSimulator, startSimulator, StripeState, stripeSimulator } from '@receptionist/simulators';
import { testInfra } from '@receptionist/testing';
// Billing in-process (its test harness: own database, real MariaDB and Kafka), to time its period close directly.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBilling, TestBilling } from '../../apps/billing/test/billing-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { PlanJobs } from '../../apps/billing/src/plans/plan-jobs.service';
import { envInt, fmt, now, printHeader, runMain, stats, writeResult } from './lib';

const COMPANIES = envInt('BENCH_PLAN_COMPANIES', 10_000);
const POSTPAID_PCT = envInt('BENCH_PLAN_POSTPAID_PCT', 20);

export interface PlanCloseBenchResult {
  companies: number;
  postpaid: number;
  seconds: number;
  stripeRequests: number;
  closed: number;
  floorSeconds: number;
  floorStripeRequests: number;
  bulkUpdateMs: number;
  rawStripeP50Ms: number;
  itemsExact: boolean;
  secondRunStripeRequests: number;
}

async function main() {
  printHeader(`Plan period close: ${COMPANIES} companies, ${POSTPAID_PCT} % postpaid with overage`);
  let stripe: RunningSimulator<StripeState> | undefined;
  let billing: TestBilling | undefined;
  let db: DataSource | undefined;
  try {
    stripe = await startSimulator(stripeSimulator, { port: 0 });
    billing = await startBilling({ STRIPE_API_BASE: stripe.url, STRIPE_SECRET: 'sk_test_bench', BILLING_PLAN_JOBS_INTERVAL_MS: '3600000', LOG_LEVEL: 'error' }, { companies: ['bench-none'] });
    db = new DataSource({ type: 'mysql', ...testInfra.db, database: billing.database, timezone: 'Z' });
    await db.initialize();

    // Seed: one plan, COMPANIES subscriptions in their new period, each with last period's usage still open.
    const run = randomBytes(3).toString('hex');
    const previous = new Date(Date.UTC(2026, 10, 1));
    const current = new Date(Date.UTC(2026, 11, 1));
    const next = new Date(Date.UTC(2027, 0, 1));
    const t = new Date();
    await db.query(`INSERT INTO plan (code, name, billing_interval, included_minutes, included_bookings, trial_days, postpaid, active, created_at, updated_at) VALUES ('bench', 'Bench', 'month', 100, 10, 0, 0, 1, ?, ?)`, [t, t]);
    await db.query(`INSERT INTO plan_price (plan_code, currency, fee_minor, overage_per_minute_minor, overage_per_booking_minor) VALUES ('bench', 'EUR', 4900, 30, 100)`);
    let expectedItems = 0;
    let expectedSum = 0;
    const seedStarted = now();
    for (let from = 0; from < COMPANIES; from += 1000) {
      const ids = Array.from({ length: Math.min(1000, COMPANIES - from) }, (_v, i) => from + i);
      const accounts: unknown[] = [];
      const subs: unknown[] = [];
      const usage: unknown[] = [];
      for (const i of ids) {
        const companyId = `bench-${run}-${String(i).padStart(6, '0')}`;
        const postpaid = i % 100 < POSTPAID_PCT;
        const overage = postpaid ? 1 + ((i * 7919) % 5000) : (i * 31) % 700;
        let customer: string | null = null;
        if (postpaid) {
          // Stripe already knows these customers (they subscribed): made in the simulator's state, not over HTTP.
          customer = `cus_bench${run}${i}`;
          stripe.state.customers.set(customer, { id: customer, object: 'customer', balance: 0, currency: 'eur', metadata: { company_id: companyId }, invoice_settings: { default_payment_method: null }, created: 0, email: null, name: null, livemode: false });
          expectedItems += 1;
          expectedSum += overage;
        }
        accounts.push(companyId, 'EUR', 0, 'ok', customer, t, t);
        subs.push(companyId, 'bench', 'EUR', `sub_bench${run}${i}`, 'active', current, next, t, t);
        usage.push(companyId, previous, current, 'bench', 'EUR', postpaid ? 1 : 0, 6000, 10, 6000 + overage * 2, 3, overage * 2, 0, overage);
      }
      const rows = (n: number, width: number) => Array.from({ length: n }, () => `(${Array(width).fill('?').join(', ')})`).join(', ');
      await db.query(`INSERT INTO billing_account (company_id, currency, last_seq, balance_state, stripe_customer_id, created_at, updated_at) VALUES ${rows(ids.length, 7)}`, accounts);
      await db.query(`INSERT INTO subscription (company_id, plan_code, currency, stripe_subscription_id, status, current_period_start, current_period_end, created_at, updated_at) VALUES ${rows(ids.length, 9)}`, subs);
      await db.query(
        `INSERT INTO plan_usage (company_id, period_start, period_end, plan_code, currency, postpaid, included_seconds, included_bookings, used_seconds, used_bookings, overage_seconds, overage_bookings, overage_minor) VALUES ${rows(ids.length, 13)}`,
        usage,
      );
    }
    console.log(`seeded ${COMPANIES} companies (${expectedItems} postpaid with overage) in ${fmt((now() - seedStarted) / 1000, 1)} s`);

    const jobs = billing.app.get(PlanJobs);
    const requestsBefore = stripe.state.requestCount;
    const started = now();
    const result = await jobs.closePeriods();
    const seconds = (now() - started) / 1000;
    const stripeRequests = stripe.state.requestCount - requestsBefore;
    const items = [...stripe.state.invoiceItems.values()].filter((i) => String((i.metadata as Record<string, string>).company_id).startsWith(`bench-${run}-`));
    const itemsExact = items.length === expectedItems && items.reduce((a, i) => a + (i.amount as number), 0) === expectedSum;
    const [open] = await db.query('SELECT COUNT(*) AS n FROM plan_usage WHERE closed_at IS NULL');

    const again = stripe.state.requestCount;
    const second = await jobs.closePeriods();
    const secondRunStripeRequests = stripe.state.requestCount - again;

    // Floor, part 1: the same rows closed by one bulk UPDATE (reopened first; what closing cannot do with less).
    await db.query('UPDATE plan_usage SET closed_at = NULL');
    const bulkStarted = now();
    await db.query('UPDATE plan_usage SET closed_at = ? WHERE closed_at IS NULL', [new Date()]);
    const bulkUpdateMs = now() - bulkStarted;
    // Floor, part 2: the same number of raw SDK requests at the same concurrency (8), without billing around them.
    const url = new URL(stripe.url);
    const sdk = new Stripe('sk_test_bench_raw', { host: url.hostname, port: Number(url.port), protocol: 'http', telemetry: false, maxNetworkRetries: 0 });
    const customer = [...stripe.state.customers.keys()][0];
    const samples: number[] = [];
    const rawStarted = now();
    for (let i = 0; i < expectedItems; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, expectedItems - i) }, async (_v, j) => {
          const s = now();
          await sdk.invoiceItems.create({ customer, amount: 100, currency: 'eur', description: 'raw' }, { idempotencyKey: `raw-${run}-${i + j}` });
          samples.push(now() - s);
        }),
      );
    }
    const rawStripeMs = now() - rawStarted;
    const rawStripeP50Ms = stats(samples).p50;
    const floorSeconds = (bulkUpdateMs + rawStripeMs) / 1000;

    console.log(`period close: ${fmt(seconds, 2)} s, ${stripeRequests} Stripe requests, ${result.closed} periods closed (${result.invoiceItems} invoice items, ${result.failed} failed), ${open.n} left open`);
    console.log(`floor:        ${fmt(floorSeconds, 2)} s, ${expectedItems} Stripe requests (one bulk UPDATE ${fmt(bulkUpdateMs, 0)} ms + ${expectedItems} raw SDK requests, 8 at a time, ${fmt(rawStripeMs, 0)} ms, p50 ${fmt(rawStripeP50Ms, 2)} ms)`);
    console.log(`ratio: x${fmt(seconds / floorSeconds, 2)} of the floor; invoice items exact to the cent: ${itemsExact}; a second close: ${second.closed} closed, ${secondRunStripeRequests} Stripe requests`);
    const out: PlanCloseBenchResult = { companies: COMPANIES, postpaid: expectedItems, seconds, stripeRequests, closed: result.closed, floorSeconds, floorStripeRequests: expectedItems, bulkUpdateMs, rawStripeP50Ms, itemsExact, secondRunStripeRequests };
    writeResult(out);
    if (!itemsExact || Number(open.n) !== 0 || second.closed !== 0 || secondRunStripeRequests !== 0) throw new Error('period close was not exact');
  } finally {
    await db?.destroy();
    await billing?.close();
    await stripe?.close();
  }
}

runMain('plan-period-close', main, 600_000);
