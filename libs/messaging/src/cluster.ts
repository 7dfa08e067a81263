import type { Kafka } from 'kafkajs';
import { ALL_TOPICS, SERVICE_NAMES } from '@receptionist/contracts';

export interface GroupLag {
  /** Messages on the group's catalogue topics not yet consumed by it. */
  lag: number;
  /** Topics with lag only (a group with none has an empty object). */
  topics: Record<string, number>;
}

const CATALOGUE = new Set(ALL_TOPICS.map((t) => t.name));

/**
 * Consumer lag of every service's consumer groups (`<service>` for events, `<service>.<topic>` for request
 * responders), from committed offsets and high watermarks, limited to catalogue topics. Lag is counted from the
 * low watermark where a group has no committed offset on a partition yet.
 */
export async function consumerLag(kafka: Kafka): Promise<Record<string, GroupLag>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.listGroups();
    const wanted = groups
      .map((g) => g.groupId)
      .filter((id) => SERVICE_NAMES.some((s) => id === s || (id.startsWith(`${s}.`) && CATALOGUE.has(id.slice(s.length + 1)))))
      .sort();
    const watermarks = new Map<string, Promise<{ partition: number; high: string; low: string }[]>>();
    const topicOffsets = (topic: string) => {
      if (!watermarks.has(topic)) watermarks.set(topic, admin.fetchTopicOffsets(topic));
      return watermarks.get(topic)!;
    };
    const out: Record<string, GroupLag> = {};
    for (const groupId of wanted) {
      const committed = await admin.fetchOffsets({ groupId });
      const entry: GroupLag = { lag: 0, topics: {} };
      for (const { topic, partitions } of committed) {
        if (!CATALOGUE.has(topic)) continue;
        let lag = 0;
        for (const p of await topicOffsets(topic)) {
          const c = partitions.find((x) => x.partition === p.partition);
          const done = c && Number(c.offset) >= 0 ? Number(c.offset) : Number(p.low);
          lag += Math.max(0, Number(p.high) - done);
        }
        if (lag > 0) entry.topics[topic] = lag;
        entry.lag += lag;
      }
      out[groupId] = entry;
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** Asks the cluster for its brokers: throws when it cannot be reached (a health probe). */
export async function pingCluster(kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.describeCluster();
  } finally {
    await admin.disconnect();
  }
}
