import { Counter, Gauge, Histogram } from 'prom-client';
import { getOrCreateMetric, registry } from '@receptionist/observability';

/** Billed talk time (after the free allowance), by currency. */
export const billedSeconds = () =>
  getOrCreateMetric('billing_billed_seconds_total', () =>
    new Counter({ name: 'billing_billed_seconds_total', help: 'Talk time billed, seconds', labelNames: ['currency'], registers: [registry] }),
  );

/** Ledger postings by kind; `amount` in minor units (per currency). */
export const ledgerPostings = () =>
  getOrCreateMetric('billing_ledger_postings_total', () =>
    new Counter({ name: 'billing_ledger_postings_total', help: 'Ledger entries written, by kind', labelNames: ['kind'], registers: [registry] }),
  );

/** Usage that could not be rated (no prices for the company yet); rated later by the re-rating job. */
export const unratedUsage = () =>
  getOrCreateMetric('billing_unrated_usage_total', () =>
    new Counter({ name: 'billing_unrated_usage_total', help: 'Usage recorded without prices (rated later)', labelNames: ['reason'], registers: [registry] }),
  );

/** Stripe webhook events by type and outcome (`unmatched` = no company for the customer: alert on it). */
export const stripeEvents = () =>
  getOrCreateMetric('billing_stripe_events_total', () =>
    new Counter({ name: 'billing_stripe_events_total', help: 'Stripe events handled, by type and outcome', labelNames: ['type', 'outcome'], registers: [registry] }),
  );

/** Money moved by ledger postings, minor units, by kind, currency and direction (debit: usage, fees; credit: top-ups, bonus). */
export const ledgerAmount = () =>
  getOrCreateMetric('billing_ledger_amount_minor_total', () =>
    new Counter({ name: 'billing_ledger_amount_minor_total', help: 'Ledger amounts posted, minor units, by kind, currency and direction', labelNames: ['kind', 'currency', 'direction'], registers: [registry] }),
  );

/** Stripe API calls through StripeClient, one observation per call (the SDK's own retries inside), by operation and outcome. */
export const stripeRequestDuration = () =>
  getOrCreateMetric('stripe_request_duration_seconds', () =>
    new Histogram({
      name: 'stripe_request_duration_seconds',
      help: 'Stripe API call duration by operation and outcome (ok, refused, unavailable, circuit_open)',
      labelNames: ['operation', 'outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  );
export const stripeErrors = () =>
  getOrCreateMetric('stripe_request_errors_total', () =>
    new Counter({ name: 'stripe_request_errors_total', help: 'Failed Stripe calls by operation and reason (refused, unavailable, circuit_open)', labelNames: ['operation', 'reason'], registers: [registry] }),
  );
/** 0 closed, 1 half-open, 2 open (as calcom_circuit_breaker_state). */
export const stripeBreakerState = () =>
  getOrCreateMetric('stripe_circuit_breaker_state', () =>
    new Gauge({ name: 'stripe_circuit_breaker_state', help: 'Stripe circuit breaker: 0 closed, 1 half-open, 2 open', registers: [registry] }),
  );

/** Automatic top-ups by outcome: charged, failed (declined or refused by Stripe), gave_up (no answer after the retries). */
export const autoTopUps = () =>
  getOrCreateMetric('billing_auto_top_ups_total', () =>
    new Counter({ name: 'billing_auto_top_ups_total', help: 'Automatic top-ups by outcome (charged, failed, gave_up)', labelNames: ['outcome'], registers: [registry] }),
  );

/** Invoices by kind (company, aggregate) and the state a Stripe event or our own call moved them to (paid, payment_failed, void). */
export const invoiceTransitions = () =>
  getOrCreateMetric('billing_invoice_transitions_total', () =>
    new Counter({ name: 'billing_invoice_transitions_total', help: 'Invoice state transitions by kind and new state', labelNames: ['kind', 'status'], registers: [registry] }),
  );

/** Money given back with credit notes, minor units, by source (admin, stripe) and currency. */
export const refundedAmount = () =>
  getOrCreateMetric('billing_refunded_amount_minor_total', () =>
    new Counter({ name: 'billing_refunded_amount_minor_total', help: 'Credit notes issued for refunds, minor units, by source and currency', labelNames: ['source', 'currency'], registers: [registry] }),
  );
