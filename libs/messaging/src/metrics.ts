import { Counter, Gauge } from 'prom-client';
import { getOrCreateMetric, registry } from '@receptionist/observability';

/** The messaging library's own metrics (names per docs/observability.md). */

export const consumerRecoveries = () =>
  getOrCreateMetric('messaging_consumer_recoveries_total', () =>
    new Counter({
      name: 'messaging_consumer_recoveries_total',
      help: 'Consumers replaced after kafkajs gave up on them (crash without restart, or out of their group too long)',
      labelNames: ['group'],
      registers: [registry],
    }),
  );

export const pausedPartitions = () =>
  getOrCreateMetric('messaging_partition_paused_seconds', () =>
    new Gauge({
      name: 'messaging_partition_paused_seconds',
      help: 'How long a partition has been held by a transient failure (0 when flowing), per topic, partition and group',
      labelNames: ['topic', 'partition', 'group'],
      registers: [registry],
    }),
  );

export const transientRetries = () =>
  getOrCreateMetric('messaging_transient_retries_total', () =>
    new Counter({
      name: 'messaging_transient_retries_total',
      help: 'Retries of a message after a transient failure (database, Redis, provider unavailable)',
      labelNames: ['topic', 'group'],
      registers: [registry],
    }),
  );

export const outboxParked = () =>
  getOrCreateMetric('outbox_parked_messages_total', () =>
    new Counter({
      name: 'outbox_parked_messages_total',
      help: 'Outbox rows set aside because Kafka refused them for good (unknown topic, too large)',
      labelNames: ['topic', 'reason'],
      registers: [registry],
    }),
  );

export const outboxPruned = () =>
  getOrCreateMetric('messaging_pruned_rows_total', () =>
    new Counter({
      name: 'messaging_pruned_rows_total',
      help: 'Published outbox rows and processed-message records deleted after their retention',
      labelNames: ['table'],
      registers: [registry],
    }),
  );

export const outboxParkedRows = () =>
  getOrCreateMetric('outbox_parked_rows', () =>
    new Gauge({ name: 'outbox_parked_rows', help: 'Outbox rows parked (refused by Kafka for good), waiting for an operator', registers: [registry] }),
  );
