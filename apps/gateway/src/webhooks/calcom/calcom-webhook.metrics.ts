import { Counter } from 'prom-client';
import { getOrCreateMetric, registry } from '@receptionist/observability';

/** Cal.com webhooks by trigger and outcome (accepted, ignored, bad_signature, malformed, not_configured, kafka_error). */
export const calcomWebhooks = () =>
  getOrCreateMetric('gateway_calcom_webhooks_total', () =>
    new Counter({ name: 'gateway_calcom_webhooks_total', help: 'Cal.com webhooks received, by trigger and outcome', labelNames: ['trigger', 'outcome'], registers: [registry] }),
  );
