import type { Consumer, EachBatchPayload, EachMessagePayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { Envelope, dlqTopicName, envelopeSchema, topicByName } from '@receptionist/contracts';
import {
  SpanKind,
  consumerFailures,
  consumerLag,
  consumerProcessDuration,
  deadLetters,
  extractTraceContext,
  trace,
  withSpan,
} from '@receptionist/observability';
import { PermanentMessageError, isTransientError } from './errors';
import { pausedPartitions, transientRetries } from './metrics';
import { H } from './headers';
import type { MessageProducer } from './producer';
import { SupervisedConsumer } from './supervised-consumer';

export interface MessageContext {
  topic: string;
  partition: number;
  offset: string;
  headers: KafkaMessage['headers'];
  attempt: number;
  heartbeat: () => Promise<void>;
}

export type EventHandler<T = unknown> = (envelope: Envelope<T>, ctx: MessageContext) => Promise<void>;

export interface BatchContext {
  topic: string;
  partition: number;
  /** Offsets of the first and last message of the batch. */
  firstOffset: string;
  lastOffset: string;
  heartbeat: () => Promise<void>;
}

/**
 * Handles several valid envelopes of one partition at once, in partition order, typically in one transaction.
 * All or nothing: if it throws, the consumer hands the same messages to the per-message handler one by one.
 */
export type BatchEventHandler<T = unknown> = (envelopes: Envelope<T>[], ctx: BatchContext) => Promise<void>;

export interface Subscription<T = unknown> {
  topic: string;
  handler: EventHandler<T>;
  /** Overrides the catalogue schema (tests, or topics outside the catalogue). */
  schema?: z.ZodType<T>;
  /**
   * Optional: takes up to `maxBatchSize` messages of a fetched batch at once. If it fails, the batch is handled one
   * message at a time by `handler` (with its retries and dead-lettering), so a poison message only costs its batch
   * one failed attempt. Must have the same effect as `handler` on each message (idempotent, exactly once).
   */
  batchHandler?: BatchEventHandler<T>;
  /** Largest batch given to `batchHandler` (default 200). */
  maxBatchSize?: number;
}

export interface EventConsumerOptions {
  /** Consumer group id: `<service>.<purpose>`; several instances share it and split the partitions. */
  groupId: string;
  subscriptions: Subscription<any>[];
  logger: Logger;
  /** In-place attempts before a message is dead-lettered (default 5). */
  maxAttempts?: number;
  /** First back-off; doubles each attempt, capped at 5 s. */
  initialBackoffMs?: number;
  /** Partitions handled in parallel (order is kept within a partition). */
  partitionsConsumedConcurrently?: number;
  fromBeginning?: boolean;
  sessionTimeout?: number;
}

class InvalidMessageError extends PermanentMessageError {}

/**
 * Consumes events with schema validation and classified failures. A transient failure (database, Redis or a provider
 * unavailable, deadlock, lock wait timeout; see isTransientError) holds the message's partition and retries it without
 * limit with a capped back-off, heartbeating (other partitions go on). Any other failure gets bounded in-place retries,
 * then `<topic>.dlq` with the error and the original headers, then commit, so a poison message never blocks its
 * partition. Handlers should be idempotent (see Inbox): delivery is at least once.
 */
export class EventConsumer {
  private readonly consumer: SupervisedConsumer;
  private readonly handlers = new Map<string, Subscription<any>>();
  private readonly maxAttempts: number;
  private readonly initialBackoffMs: number;
  /** False once stop() began: held messages stop retrying (uncommitted, they are read again). */
  running = false;

  constructor(
    kafka: Kafka,
    private readonly producer: MessageProducer,
    private readonly options: EventConsumerOptions,
  ) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.initialBackoffMs = options.initialBackoffMs ?? 200;
    for (const s of options.subscriptions) this.handlers.set(s.topic, s);
    const sessionTimeout = options.sessionTimeout ?? 30000;
    // Replaced by a new consumer when kafkajs gives up on it (broker or coordinator outage), see SupervisedConsumer.
    this.consumer = new SupervisedConsumer(kafka, {
      config: { groupId: options.groupId, sessionTimeout, heartbeatInterval: 3000, maxWaitTimeInMs: 250, allowAutoTopicCreation: false },
      logger: options.logger,
      rejoinDeadlineMs: 2 * sessionTimeout,
      run: (consumer) => this.runOn(consumer),
    });
  }

  /** True once the group has been joined and partitions assigned (readiness). */
  get isReady() {
    return this.running && this.consumer.isJoined;
  }

  get groupId() {
    return this.options.groupId;
  }

  async start(): Promise<void> {
    // Zero series for every subscribed topic, so rate() and "DLQ non-empty" alerts see 0 rather than nothing.
    for (const topic of this.handlers.keys()) {
      consumerFailures().inc({ topic, group: this.options.groupId }, 0);
      deadLetters().inc({ topic, group: this.options.groupId }, 0);
    }
    await this.consumer.start();
    this.running = true;
  }

  private async runOn(consumer: Consumer): Promise<void> {
    await consumer.subscribe({ topics: [...this.handlers.keys()], fromBeginning: this.options.fromBeginning ?? true });
    const batching = [...this.handlers.values()].some((s) => s.batchHandler);
    await consumer.run({
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
      // kafkajs takes one or the other for the whole consumer; in batch mode, topics without a batch handler are
      // still handled message by message, with the offset resolved after each.
      ...(batching
        ? { eachBatchAutoResolve: false, eachBatch: (payload: EachBatchPayload) => this.onBatch(payload) }
        : { eachMessage: (payload: EachMessagePayload) => this.onMessage(payload) }),
    });
  }

  /** Waits until the group is joined, so a caller can rely on not missing what is produced next. */
  async waitUntilReady(timeoutMs = 30000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.isReady) {
      if (Date.now() > until) throw new Error(`consumer group ${this.options.groupId} did not join in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops fetching, lets in-flight handlers finish, commits, leaves the group. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.consumer.stop();
  }

  private async onMessage({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
    const subscription = this.handlers.get(topic)!;
    const started = process.hrtime.bigint();
    const group = this.options.groupId;
    const parent = extractTraceContext(message.headers);
    let outcome = 'ok';
    await withSpan(
      `process ${topic}`,
      {
        kind: SpanKind.CONSUMER,
        parent,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': topic,
          'messaging.destination.partition.id': String(partition),
          'messaging.kafka.offset': Number(message.offset),
          'messaging.consumer.group.name': group,
          'messaging.message.id': message.headers?.[H.messageId]?.toString() ?? '',
        },
      },
      async () => {
        let envelope: Envelope;
        try {
          envelope = this.parse(topic, message, subscription);
        } catch (error) {
          outcome = 'dead_lettered';
          await this.deadLetter(topic, partition, message, error as Error, 0);
          return;
        }
        outcome = await this.runHandler(topic, partition, message, envelope, subscription, heartbeat);
      },
    );
    consumerProcessDuration().observe({ topic, group, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  /** The per-message handler with in-place retries, then the DLQ. Returns the outcome for the metrics. */
  private async runHandler(
    topic: string,
    partition: number,
    message: KafkaMessage,
    envelope: Envelope,
    subscription: Subscription<any>,
    heartbeat: () => Promise<void>,
  ): Promise<'ok' | 'dead_lettered'> {
    const group = this.options.groupId;
    const hold = new PartitionHold(this, topic, partition);
    try {
      for (let attempt = 1, tries = 1; ; attempt++) {
        try {
          await subscription.handler(envelope, { topic, partition, offset: message.offset, headers: message.headers, attempt, heartbeat });
          return 'ok';
        } catch (error) {
          consumerFailures().inc({ topic, group });
          if (isTransientError(error)) {
            // The dependency will come back: hold this partition (others go on) and try again, without limit.
            await hold.wait(error as Error, { messageId: envelope.id, offset: message.offset }, heartbeat, () => this.running);
            continue;
          }
          if (error instanceof PermanentMessageError || tries >= this.maxAttempts) {
            await this.deadLetter(topic, partition, message, error as Error, attempt);
            return 'dead_lettered';
          }
          this.options.logger.warn({ err: error, topic, partition, offset: message.offset, attempt, messageId: envelope.id }, 'handler failed; retrying');
          await this.backoff(tries++, heartbeat);
        }
      }
    } finally {
      hold.release();
    }
  }

  /** For PartitionHold. */
  get logger() {
    return this.options.logger;
  }

  /**
   * Batch mode (eachBatch). Topics without a batch handler: message by message as in eachMessage. Topics with one:
   * chunks of up to `maxBatchSize`; malformed messages go to the DLQ first, the valid rest goes to the batch handler
   * at once, and if that fails, to the per-message handler one by one. Offsets are resolved only behind handled
   * messages, and nothing more is started once the consumer stops or the batch went stale (rebalance).
   */
  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const subscription = this.handlers.get(topic)!;
    const live = () => isRunning() && !isStale();
    if (!subscription.batchHandler) {
      for (const message of batch.messages) {
        if (!live()) return;
        await this.onMessage({ topic, partition, message, heartbeat, pause });
        resolveOffset(message.offset);
      }
      return;
    }
    const size = Math.max(1, subscription.maxBatchSize ?? 200);
    for (let i = 0; i < batch.messages.length; i += size) {
      if (!live()) return;
      const chunk = batch.messages.slice(i, i + size);
      await this.onChunk(topic, partition, chunk, subscription, heartbeat, resolveOffset, live);
      await heartbeat().catch(() => undefined);
    }
  }

  private async onChunk(
    topic: string,
    partition: number,
    chunk: KafkaMessage[],
    subscription: Subscription<any>,
    heartbeat: () => Promise<void>,
    resolveOffset: (offset: string) => void,
    live: () => boolean,
  ): Promise<void> {
    const group = this.options.groupId;
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const valid: { message: KafkaMessage; envelope: Envelope }[] = [];
    for (const message of chunk) {
      try {
        valid.push({ message, envelope: this.parse(topic, message, subscription) });
      } catch (error) {
        await this.deadLetter(topic, partition, message, error as Error, 0);
        consumerProcessDuration().observe({ topic, group, outcome: 'dead_lettered' }, seconds());
      }
    }
    const last = chunk[chunk.length - 1].offset;
    if (valid.length === 0) {
      resolveOffset(last);
      return;
    }
    const ok = await withSpan(
      `process ${topic}`,
      {
        kind: SpanKind.CONSUMER,
        // The batch's span continues the first message's trace; each message's own trace is linked.
        parent: extractTraceContext(valid[0].message.headers),
        links: valid
          .slice(1, 128)
          .map((v) => trace.getSpanContext(extractTraceContext(v.message.headers)))
          .filter((c): c is NonNullable<typeof c> => !!c)
          .map((c) => ({ context: c })),
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': topic,
          'messaging.destination.partition.id': String(partition),
          'messaging.kafka.offset': Number(valid[0].message.offset),
          'messaging.batch.message_count': valid.length,
          'messaging.consumer.group.name': group,
        },
      },
      async () => {
        const hold = new PartitionHold(this, topic, partition);
        try {
          for (;;) {
            try {
              await subscription.batchHandler!(valid.map((v) => v.envelope), { topic, partition, firstOffset: chunk[0].offset, lastOffset: last, heartbeat });
              return true;
            } catch (error) {
              if (!isTransientError(error) || !live()) throw error;
              consumerFailures().inc({ topic, group });
              await hold.wait(error as Error, { firstOffset: chunk[0].offset, lastOffset: last }, heartbeat, live);
            }
          }
        } catch (error) {
          if (!live()) return false; // stopping or rebalanced: the one-by-one pass below starts nothing either
          consumerFailures().inc({ topic, group });
          this.options.logger.warn(
            { err: error, topic, partition, firstOffset: chunk[0].offset, lastOffset: last, messages: valid.length },
            'batch handler failed; handling the batch one message at a time',
          );
          return false;
        } finally {
          hold.release();
        }
      },
    );
    if (ok) {
      const elapsed = seconds();
      for (let n = 0; n < valid.length; n++) consumerProcessDuration().observe({ topic, group, outcome: 'ok' }, elapsed);
      resolveOffset(last);
      return;
    }
    // One by one: the batch's effects were rolled back as a whole; each message now gets its retries and, if it
    // is the poison one, the DLQ, while the others are applied.
    const byOffset = new Map(valid.map((v) => [v.message.offset, v.envelope]));
    for (const message of chunk) {
      const envelope = byOffset.get(message.offset);
      if (envelope) {
        if (!live()) return;
        const one = process.hrtime.bigint();
        const outcome = await this.runHandler(topic, partition, message, envelope, subscription, heartbeat);
        consumerProcessDuration().observe({ topic, group, outcome }, Number(process.hrtime.bigint() - one) / 1e9);
      }
      resolveOffset(message.offset);
    }
  }

  private parse(topic: string, message: KafkaMessage, subscription: Subscription<any>): Envelope {
    if (!message.value) throw new InvalidMessageError('empty message value', 'empty');
    let raw: unknown;
    try {
      raw = JSON.parse(message.value.toString('utf8'));
    } catch {
      throw new InvalidMessageError('message value is not JSON', 'not_json');
    }
    const env = envelopeSchema.safeParse(raw);
    if (!env.success) {
      const i = env.error.issues[0];
      throw new InvalidMessageError(`invalid envelope at ${i.path.join('.') || '(root)'}: ${i.message}`, 'envelope');
    }
    const schema = subscription.schema ?? topicByName(topic)?.schema;
    if (!schema) return env.data as Envelope;
    const data = schema.safeParse(env.data.data);
    if (!data.success) {
      const i = data.error.issues[0];
      throw new InvalidMessageError(`invalid ${topic} data at data.${i.path.join('.')}: ${i.message}`, 'schema');
    }
    return { ...env.data, data: data.data } as Envelope;
  }

  private async backoff(attempt: number, heartbeat: () => Promise<void>): Promise<void> {
    let remaining = Math.min(this.initialBackoffMs * 2 ** (attempt - 1), 5000);
    while (remaining > 0) {
      const step = Math.min(remaining, 1000);
      await new Promise((r) => setTimeout(r, step));
      remaining -= step;
      await heartbeat().catch(() => undefined);
    }
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, error: Error, attempts: number) {
    const group = this.options.groupId;
    this.options.logger.error(
      { err: error, topic, partition, offset: message.offset, group, attempts },
      'message moved to the dead-letter topic',
    );
    await this.producer.sendRaw(dlqTopicName(topic), [
      {
        key: message.key,
        value: message.value,
        headers: {
          ...(message.headers ?? {}),
          [H.dltOriginalTopic]: topic,
          [H.dltOriginalPartition]: String(partition),
          [H.dltOriginalOffset]: message.offset,
          [H.dltOriginalTimestamp]: message.timestamp,
          [H.dltOriginalGroup]: group,
          [H.dltExceptionFqcn]: error.name,
          [H.dltExceptionMessage]: error.message.slice(0, 2000),
          [H.dltAttempts]: String(attempts),
        },
      },
    ]);
    deadLetters().inc({ topic, group });
  }

  /** Lag per partition for /metrics; called periodically by the runtime. */
  async reportLag(kafka: Kafka): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const topic of this.handlers.keys()) {
        const [committed] = await admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] });
        const high = await admin.fetchTopicOffsets(topic);
        for (const p of high) {
          const c = committed?.partitions.find((x) => x.partition === p.partition);
          const done = c && Number(c.offset) >= 0 ? Number(c.offset) : Number(p.low);
          consumerLag().set({ topic, partition: String(p.partition), group: this.options.groupId }, Math.max(0, Number(p.high) - done));
        }
      }
    } finally {
      await admin.disconnect();
    }
  }
}

/**
 * A partition held by a transient failure: retries with a back-off doubling up to 30 s, heartbeating so the
 * consumer stays in its group, and shows how long it has been held (messaging_partition_paused_seconds, alerted on).
 * Gives up only when the consumer stops or loses the partition (the message is uncommitted and read again).
 */
class PartitionHold {
  private since = 0;
  private attempts = 0;

  constructor(
    private readonly consumer: EventConsumer,
    private readonly topic: string,
    private readonly partition: number,
  ) {}

  private get labels() {
    return { topic: this.topic, partition: String(this.partition), group: this.consumer.groupId };
  }

  async wait(error: Error, where: Record<string, unknown>, heartbeat: () => Promise<void>, live: () => boolean): Promise<void> {
    if (!this.since) this.since = Date.now();
    this.attempts++;
    transientRetries().inc({ topic: this.topic, group: this.consumer.groupId });
    const log = { err: { name: error.name, message: error.message }, topic: this.topic, partition: this.partition, attempt: this.attempts, ...where };
    if (this.attempts === 1 || this.attempts % 20 === 0) this.consumer.logger.warn(log, 'transient failure; holding the partition and retrying');
    let remaining = Math.min(250 * 2 ** (this.attempts - 1), 30_000);
    while (remaining > 0) {
      if (!live()) throw new Error(`consumer stopping; ${this.topic}[${this.partition}] left unhandled, read again later`);
      const step = Math.min(remaining, 1000);
      await new Promise((r) => setTimeout(r, step));
      remaining -= step;
      pausedPartitions().set(this.labels, (Date.now() - this.since) / 1000);
      await heartbeat().catch((e: { type?: string; name?: string }) => {
        // The group is rebalancing: give the partition back (kafkajs rejoins; the message is read again).
        if (e?.type === 'REBALANCE_IN_PROGRESS' || e?.type === 'ILLEGAL_GENERATION' || e?.type === 'UNKNOWN_MEMBER_ID') throw e;
      });
    }
  }

  release(): void {
    if (!this.since) return;
    this.consumer.logger.info({ topic: this.topic, partition: this.partition, heldSeconds: (Date.now() - this.since) / 1000 }, 'partition flowing again');
    pausedPartitions().set(this.labels, 0);
    this.since = 0;
  }
}
