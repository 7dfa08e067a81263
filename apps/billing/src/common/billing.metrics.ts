import { Counter, Gauge, Histogram } from 'prom-client';
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

/** Money moved by ledger postings, minor units, by kind, currency and direction (debit: usage, fees; credit: top-ups, bonus). */
export const ledgerAmount = () =>
  getOrCreate('billing_ledger_amount_minor_total', () =>
    new Counter({ name: 'billing_ledger_amount_minor_total', help: 'Ledger amounts posted, minor units, by kind, currency and direction', labelNames: ['kind', 'currency', 'direction'], registers: [registry] }),
  );

/** Stripe API calls through StripeClient, one observation per call (the SDK's own retries inside), by operation and outcome. */
export const stripeRequestDuration = () =>
  getOrCreate('stripe_request_duration_seconds', () =>
    new Histogram({
      name: 'stripe_request_duration_seconds',
      help: 'Stripe API call duration by operation and outcome (ok, refused, unavailable, circuit_open)',
      labelNames: ['operation', 'outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  );
export const stripeErrors = () =>
  getOrCreate('stripe_request_errors_total', () =>
    new Counter({ name: 'stripe_request_errors_total', help: 'Failed Stripe calls by operation and reason (refused, unavailable, circuit_open)', labelNames: ['operation', 'reason'], registers: [registry] }),
  );
/** 0 closed, 1 half-open, 2 open (as calcom_circuit_breaker_state). */
export const stripeBreakerState = () =>
  getOrCreate('stripe_circuit_breaker_state', () =>
    new Gauge({ name: 'stripe_circuit_breaker_state', help: 'Stripe circuit breaker: 0 closed, 1 half-open, 2 open', registers: [registry] }),
  );
