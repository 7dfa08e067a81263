import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per process. Names follow docs/observability.md: `<area>_<what>_<unit>`,
 * seconds for durations, `_total` for counters.
 */
export const registry = new Registry();
let defaultsCollected = false;

export function initMetrics(service: string): Registry {
  if (!defaultsCollected) {
    registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: registry });
    defaultsCollected = true;
  }
  return registry;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The metric registered under `name`, created on first use: every service declares its metrics as lazy
 * getters, so a module loaded twice (tests, two Nest apps in one process) never registers a name twice.
 */
export function getOrCreateMetric<T>(name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export const httpRequestDuration = () =>
  getOrCreateMetric('http_server_request_duration_seconds', () =>
    new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'HTTP request duration by route and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  );

export const consumerProcessDuration = () =>
  getOrCreateMetric('messaging_process_duration_seconds', () =>
    new Histogram({
      name: 'messaging_process_duration_seconds',
      help: 'Time to handle one consumed Kafka message, by topic, consumer group and outcome',
      labelNames: ['topic', 'group', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  );

export const consumerFailures = () =>
  getOrCreateMetric('messaging_process_failures_total', () =>
    new Counter({
      name: 'messaging_process_failures_total',
      help: 'Failed attempts to handle a consumed message',
      labelNames: ['topic', 'group'],
      registers: [registry],
    }),
  );

export const deadLetters = () =>
  getOrCreateMetric('messaging_dead_letters_total', () =>
    new Counter({
      name: 'messaging_dead_letters_total',
      help: 'Messages moved to <topic>.dlq',
      labelNames: ['topic', 'group'],
      registers: [registry],
    }),
  );

export const consumerLag = () =>
  getOrCreateMetric('messaging_consumer_lag_messages', () =>
    new Gauge({
      name: 'messaging_consumer_lag_messages',
      help: 'High watermark minus the offset of the last consumed message, per partition',
      labelNames: ['topic', 'partition', 'group'],
      registers: [registry],
    }),
  );

export const producedMessages = () =>
  getOrCreateMetric('messaging_produced_messages_total', () =>
    new Counter({
      name: 'messaging_produced_messages_total',
      help: 'Messages acknowledged by the broker, by topic',
      labelNames: ['topic'],
      registers: [registry],
    }),
  );

export const outboxBacklog = () =>
  getOrCreateMetric('outbox_backlog_messages', () =>
    new Gauge({ name: 'outbox_backlog_messages', help: 'Outbox rows not yet published', registers: [registry] }),
  );

export const outboxOldestAge = () =>
  getOrCreateMetric('outbox_oldest_unpublished_age_seconds', () =>
    new Gauge({
      name: 'outbox_oldest_unpublished_age_seconds',
      help: 'Age of the oldest unpublished outbox row',
      registers: [registry],
    }),
  );

export const outboxPublishLatency = () =>
  getOrCreateMetric('outbox_publish_latency_seconds', () =>
    new Histogram({
      name: 'outbox_publish_latency_seconds',
      help: 'Time from outbox row creation to broker acknowledgement',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  );

export const requestReplyDuration = () =>
  getOrCreateMetric('messaging_request_duration_seconds', () =>
    new Histogram({
      name: 'messaging_request_duration_seconds',
      help: 'Request-reply round trip over Kafka by topic and outcome (ok, timeout, error)',
      labelNames: ['topic', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  );
