import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { dlqTopicName } from '@receptionist/contracts';
import { H, headerString } from './headers';
import type { MessageProducer } from './producer';

/** One record of `<topic>.dlq`, with the reason the consumer gave up on it. */
export interface DeadLetter {
  /** Position in the dead-letter topic. */
  partition: number;
  offset: string;
  messageId?: string;
  messageType?: string;
  originalTopic: string;
  originalPartition?: number;
  originalOffset?: string;
  consumerGroup?: string;
  error?: string;
  reason?: string;
  attempts?: number;
  deadLetteredAt: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

export interface ReplaySelection {
  /** Envelope ids (`message-id` header); none and no offsets: every dead letter. */
  ids?: string[];
  /** Offsets in the original topic (`kafka_dlt-original-offset`). */
  originalOffsets?: string[];
}

const DLT_HEADERS: string[] = [
  H.dltOriginalTopic,
  H.dltOriginalPartition,
  H.dltOriginalOffset,
  H.dltOriginalTimestamp,
  H.dltOriginalGroup,
  H.dltExceptionFqcn,
  H.dltExceptionMessage,
  H.dltAttempts,
];
export const REPLAYED_FROM_DLQ_HEADER = 'replayed-from-dlq';

/**
 * Reads and replays dead-letter topics. Reading uses a throw-away consumer group that commits nothing, so listing
 * never moves anyone's offsets; replaying re-publishes the original key, value and headers to the original topic,
 * where the consumers' inboxes skip what was applied meanwhile (so a replay is safe to repeat).
 */
export class DeadLetters {
  constructor(
    private readonly kafka: Kafka,
    private readonly producer: MessageProducer,
  ) {}

  async list(topic: string): Promise<DeadLetter[]> {
    const dlq = dlqTopicName(topic);
    const admin = this.kafka.admin();
    await admin.connect();
    let ends: Map<number, bigint>;
    try {
      const offsets = await admin.fetchTopicOffsets(dlq);
      ends = new Map(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]));
    } finally {
      await admin.disconnect();
    }
    if (ends.size === 0) return [];

    const groupId = `dlq-reader-${randomUUID()}`;
    const consumer = this.kafka.consumer({ groupId, allowAutoTopicCreation: false });
    const letters: DeadLetter[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: dlq, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const remaining = new Set(ends.keys());
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const end = ends.get(partition);
              if (end === undefined || BigInt(message.offset) >= end) return;
              letters.push(toDeadLetter(topic, partition, message));
              if (BigInt(message.offset) + 1n >= end && remaining.delete(partition) && remaining.size === 0) resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
      const admin2 = this.kafka.admin();
      await admin2.connect();
      await admin2.deleteGroups([groupId]).catch(() => undefined);
      await admin2.disconnect();
    }
    return letters.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  }

  /** Re-publishes the selected dead letters of `topic` to `topic`; returns what was replayed. */
  async replay(topic: string, selection: ReplaySelection = {}): Promise<DeadLetter[]> {
    const ids = new Set(selection.ids ?? []);
    const offsets = new Set(selection.originalOffsets ?? []);
    const all = ids.size === 0 && offsets.size === 0;
    const chosen = (await this.list(topic)).filter(
      (d) => all || (d.messageId !== undefined && ids.has(d.messageId)) || (d.originalOffset !== undefined && offsets.has(d.originalOffset)),
    );
    if (chosen.length === 0) return [];
    await this.producer.sendRaw(
      topic,
      chosen.map((d) => ({ key: d.key, value: d.value, headers: replayHeaders(d) })),
    );
    return chosen;
  }
}

function replayHeaders(d: DeadLetter): IHeaders {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(d.headers)) if (!DLT_HEADERS.includes(name) && value !== undefined) headers[name] = value;
  headers[REPLAYED_FROM_DLQ_HEADER] = `${d.partition}:${d.offset}`;
  return headers;
}

function toDeadLetter(topic: string, partition: number, message: KafkaMessage): DeadLetter {
  const h = (name: string) => headerString(message.headers, name);
  const originalPartition = h(H.dltOriginalPartition);
  const attempts = h(H.dltAttempts);
  return {
    partition,
    offset: message.offset,
    messageId: h(H.messageId),
    messageType: h(H.messageType),
    originalTopic: h(H.dltOriginalTopic) ?? topic,
    originalPartition: originalPartition === undefined ? undefined : Number(originalPartition),
    originalOffset: h(H.dltOriginalOffset),
    consumerGroup: h(H.dltOriginalGroup),
    error: h(H.dltExceptionFqcn),
    reason: h(H.dltExceptionMessage),
    attempts: attempts === undefined ? undefined : Number(attempts),
    deadLetteredAt: new Date(Number(message.timestamp)).toISOString(),
    key: message.key,
    value: message.value,
    headers: message.headers ?? {},
  };
}
