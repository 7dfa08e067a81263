import { Counter } from 'prom-client';
import { getOrCreateMetric, registry } from '@receptionist/observability';

/** Alerts raised (each once per dedupe key), by kind: balance_low, delivery_failures, dead_letter. */
export const alertsRaised = () =>
  getOrCreateMetric('notification_alerts_raised_total', () =>
    new Counter({ name: 'notification_alerts_raised_total', help: 'Operator alerts raised, by kind', labelNames: ['kind'], registers: [registry] }),
  );

/** Alert deliveries by channel and outcome: sent, retry, failed, not_configured (skipped: the channel is off). */
export const alertDeliveries = () =>
  getOrCreateMetric('notification_alert_deliveries_total', () =>
    new Counter({ name: 'notification_alert_deliveries_total', help: 'Alert deliveries, by channel and outcome', labelNames: ['channel', 'outcome'], registers: [registry] }),
  );
