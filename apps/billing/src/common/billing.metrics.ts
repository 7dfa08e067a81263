import { Counter } from 'prom-client';
import { registry } from '@receptionist/observability';

function getOrCreate<T>(name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** Billed talk time (after the free allowance), by currency. */
export const billedSeconds = () =>
  getOrCreate('billing_billed_seconds_total', () =>
    new Counter({ name: 'billing_billed_seconds_total', help: 'Talk time billed, seconds', labelNames: ['currency'], registers: [registry] }),
  );

/** Ledger postings by kind; `amount` in minor units (per currency). */
export const ledgerPostings = () =>
  getOrCreate('billing_ledger_postings_total', () =>
    new Counter({ name: 'billing_ledger_postings_total', help: 'Ledger entries written, by kind', labelNames: ['kind'], registers: [registry] }),
  );

/** Usage that could not be rated (no prices for the company yet); rated later by the re-rating job. */
export const unratedUsage = () =>
  getOrCreate('billing_unrated_usage_total', () =>
    new Counter({ name: 'billing_unrated_usage_total', help: 'Usage recorded without prices (rated later)', labelNames: ['reason'], registers: [registry] }),
  );

/** Stripe webhook events by type and outcome (`unmatched` = no company for the customer: alert on it). */
export const stripeEvents = () =>
  getOrCreate('billing_stripe_events_total', () =>
    new Counter({ name: 'billing_stripe_events_total', help: 'Stripe events handled, by type and outcome', labelNames: ['type', 'outcome'], registers: [registry] }),
  );
