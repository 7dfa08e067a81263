import { Counter } from 'prom-client';
import { registry } from '@receptionist/observability';

/** Stripe webhooks received, by outcome: accepted, duplicate, bad_signature, stale, malformed, not_configured, kafka_error. */
export const stripeWebhooks = () =>
  (registry.getSingleMetric('gateway_stripe_webhooks_total') as Counter<'outcome'> | undefined) ??
  new Counter({ name: 'gateway_stripe_webhooks_total', help: 'Stripe webhooks received, by outcome', labelNames: ['outcome'], registers: [registry] });
