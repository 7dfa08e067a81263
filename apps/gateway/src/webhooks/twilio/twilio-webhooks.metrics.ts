import { Counter } from 'prom-client';
import { getOrCreateMetric, registry } from '@receptionist/observability';

/** Twilio webhooks by kind (status, inbound) and outcome (forwarded, duplicate, bad_signature, no_signature, malformed). */
export const twilioWebhooks = () =>
  getOrCreateMetric('gateway_twilio_webhooks_total', () =>
    new Counter({
      name: 'gateway_twilio_webhooks_total',
      help: 'Twilio status callbacks and inbound messages by kind and outcome',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
  );
