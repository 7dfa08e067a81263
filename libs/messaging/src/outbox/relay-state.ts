import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { OUTBOX_STATE_TOPIC } from '@receptionist/contracts';

/**
 * Reads the last committed value for `key` from the compacted state topic (read_committed), so aborted
 * transactions are invisible. Reads up to the high watermark taken before it started.
 */
export async function readLatestState(kafka: Kafka, key: string, timeoutMs = 15000): Promise<string | null> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(OUTBOX_STATE_TOPIC).finally(() => admin.disconnect());
  if (offsets.every((o) => o.high === '0')) return null;

  const consumer = kafka.consumer({
    groupId: `outbox-state-reader.${randomUUID()}`,
    maxWaitTimeInMs: 50,
    readUncommitted: false,
  });
  let latest: string | null = null;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: OUTBOX_STATE_TOPIC, fromBeginning: true });
    // The target is the high watermark seen before reading. A batch's last offset counts control records
    // (transaction markers), so reaching high - 1 means everything committed before we started was read.
    const targets = new Map(offsets.map((o) => [o.partition, Number(o.high) - 1]));
    const pending = new Set(offsets.filter((o) => o.high !== '0').map((o) => o.partition));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out reading the outbox state topic')), timeoutMs);
      consumer.on(
        consumer.events.END_BATCH_PROCESS,
        ({ payload }: { payload: { partition: number; lastOffset: string } }) => {
          if (Number(payload.lastOffset) >= (targets.get(payload.partition) ?? 0)) pending.delete(payload.partition);
          if (pending.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      );
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ message }) => {
            if (message.key?.toString() === key) latest = message.value ? message.value.toString() : null;
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return latest;
}
