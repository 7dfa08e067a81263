import { ConfigResourceTypes, type Admin, type Kafka } from 'kafkajs';
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
    // A dead letter is the original record, so its DLQ takes as large ones.
    const size = def.maxMessageBytes ? [{ name: 'max.message.bytes', value: String(def.maxMessageBytes) }] : [];
    specs.push({ topic: def.name, numPartitions: def.partitions, configEntries: [...retention, ...size] });
    specs.push({ topic: dlqTopicName(def.name), numPartitions: 1, ...(size.length ? { configEntries: size } : {}) });
  }
  specs.push({
    topic: OUTBOX_STATE_TOPIC,
    numPartitions: 1,
    configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
  });
  return specs;
}

/**
 * Creates what is missing and brings an existing topic's catalogued settings (retention, `max.message.bytes`,
 * cleanup policy) to the catalogue's values when they differ; partitions are left as they are. Idempotent.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[] = specsFor(ALL_TOPICS)): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing.map((s) => ({ ...s, replicationFactor: Number(process.env.KAFKA_REPLICATION_FACTOR ?? 1) })), waitForLeaders: true });
    }
    await reconcileConfigs(admin, specs.filter((s) => existing.has(s.topic) && s.configEntries?.length));
    return missing.map((s) => s.topic);
  } finally {
    await admin.disconnect();
  }
}

/** kafkajs' alterConfigs is the non-incremental AlterConfigs: it is given every catalogued setting of the topic. */
async function reconcileConfigs(admin: Admin, specs: TopicSpec[]): Promise<void> {
  if (specs.length === 0) return;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.topic, configNames: s.configEntries!.map((e) => e.name) })),
  });
  const current = new Map(described.resources.map((r) => [r.resourceName, new Map(r.configEntries.map((e) => [e.configName, e.configValue]))]));
  const stale = specs.filter((s) => s.configEntries!.some((e) => current.get(s.topic)?.get(e.name) !== e.value));
  if (stale.length === 0) return;
  await admin.alterConfigs({
    validateOnly: false,
    resources: stale.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.topic, configEntries: s.configEntries! })),
  });
}
