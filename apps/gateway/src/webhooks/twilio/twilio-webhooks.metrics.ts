import { Counter } from 'prom-client';
import { registry } from '@receptionist/observability';

function getOrCreate<T>(name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** Twilio webhooks by kind (status, inbound) and outcome (forwarded, bad_signature, no_signature, malformed). */
export const twilioWebhooks = () =>
  getOrCreate('gateway_twilio_webhooks_total', () =>
    new Counter({
      name: 'gateway_twilio_webhooks_total',
      help: 'Twilio status callbacks and inbound messages by kind and outcome',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
  );
