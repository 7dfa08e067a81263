import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';

/** One record as a tail sees it: headers already decoded to text. */
export interface TailRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface TopicTailOptions {
  groupId: string;
  topics: string[];
  /** From the beginning of each topic for a new group; the default is from the end (only what comes from now on). */
  fromBeginning?: boolean;
  /** Remove the group from the broker on stop (a group per instance must not pile up). */
  deleteGroupOnStop?: boolean;
  logger: Logger;
  onRecord: (record: TailRecord) => Promise<void> | void;
}

/**
 * Follows topics outside the handler model (no envelope validation, no inbox, no dead letters): for watchers that
 * only observe facts, such as the console's live fan-out and the dead-letter alerts. A record whose callback throws
 * is logged and passed, because an observer must not hold the topic.
 */
export class TopicTail {
  private consumer: Consumer | null = null;
  private joined = false;
  private fetched = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: TopicTailOptions,
  ) {}

  /** In its group and fetched once since: what is produced from now on will be seen. */
  get isReady(): boolean {
    return this.joined && this.fetched;
  }

  get isJoined(): boolean {
    return this.joined;
  }

  async start(): Promise<void> {
    const { groupId, topics, fromBeginning = false, logger, onRecord } = this.options;
    const consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
    consumer.on(consumer.events.GROUP_JOIN, () => (this.joined = true));
    consumer.on(consumer.events.REBALANCING, () => (this.joined = false));
    consumer.on(consumer.events.FETCH, () => (this.fetched = this.joined));
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          const first = Array.isArray(value) ? value[0] : value;
          if (first !== undefined) headers[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
        }
        try {
          await onRecord({ topic, partition, offset: message.offset, timestamp: message.timestamp, key: message.key, value: message.value, headers });
        } catch (error) {
          logger.error({ err: error, topic, partition, offset: message.offset, groupId }, 'topic tail could not handle a record; passed');
        }
      },
    });
  }

  async waitUntilReady(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.isReady) {
      if (Date.now() > until) throw new Error(`topic tail ${this.options.groupId} did not join in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    if (!consumer) return;
    await consumer.disconnect().catch((error) => this.options.logger.warn({ err: error, groupId: this.options.groupId }, 'topic tail stop failed'));
    this.joined = false;
    if (!this.options.deleteGroupOnStop) return;
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.options.groupId]);
    } catch (error) {
      this.options.logger.debug({ err: error, groupId: this.options.groupId }, 'topic tail group not deleted');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
