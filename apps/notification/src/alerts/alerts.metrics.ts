import { Counter } from 'prom-client';
import { registry } from '@receptionist/observability';

function getOrCreate<T>(name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** Alerts raised (each once per dedupe key), by kind: balance_low, delivery_failures, dead_letter. */
export const alertsRaised = () =>
  getOrCreate('notification_alerts_raised_total', () =>
    new Counter({ name: 'notification_alerts_raised_total', help: 'Operator alerts raised, by kind', labelNames: ['kind'], registers: [registry] }),
  );

/** Alert deliveries by channel and outcome: sent, retry, failed, not_configured (skipped: the channel is off). */
export const alertDeliveries = () =>
  getOrCreate('notification_alert_deliveries_total', () =>
    new Counter({ name: 'notification_alert_deliveries_total', help: 'Alert deliveries, by channel and outcome', labelNames: ['channel', 'outcome'], registers: [registry] }),
  );
