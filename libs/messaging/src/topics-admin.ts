import type { Kafka } from 'kafkajs';
import { ALL_TOPICS, OUTBOX_STATE_TOPIC, TopicDefinition, dlqTopicName } from '@receptionist/contracts';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  configEntries?: { name: string; value: string }[];
}

export function specsFor(defs: TopicDefinition[]): TopicSpec[] {
  const specs: TopicSpec[] = [];
  for (const def of defs) {
    const retention = def.retentionHours ? [{ name: 'retention.ms', value: String(def.retentionHours * 3600_000) }] : [];
    specs.push({ topic: def.name, numPartitions: def.partitions, configEntries: retention });
    specs.push({ topic: dlqTopicName(def.name), numPartitions: 1 });
  }
  specs.push({
    topic: OUTBOX_STATE_TOPIC,
    numPartitions: 1,
    configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
  });
  return specs;
}

/** Creates what is missing; existing topics are left as they are. Idempotent. */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[] = specsFor(ALL_TOPICS)): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing.map((s) => ({ ...s, replicationFactor: Number(process.env.KAFKA_REPLICATION_FACTOR ?? 1) })), waitForLeaders: true });
    }
    return missing.map((s) => s.topic);
  } finally {
    await admin.disconnect();
  }
}
