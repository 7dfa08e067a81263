import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { Envelope, createEnvelope, envelopeSchema, replyTopicName } from '@receptionist/contracts';
import {
  SpanKind,
  extractTraceContext,
  injectTraceHeaders,
  requestReplyDuration,
  withSpan,
} from '@receptionist/observability';
import { RemoteHandlerError, RequestTimeoutError } from './errors';
import { H, headerString } from './headers';
import { toKafkaMessage } from './producer';
import { SendQueue } from './send-queue';
import { ensureTopics } from './topics-admin';

interface ReplyBody {
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string };
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface RequestClientOptions {
  service: string;
  instanceId: string;
  logger: Logger;
  /** Delete the reply topic on stop (instances without a stable id leave nothing behind). */
  deleteReplyTopicOnStop?: boolean;
}

/**
 * Request-reply over Kafka for calls that need an answer while someone waits (the voice functions).
 * Each instance owns its reply topic (`<service>.replies.<instance>`, one partition) read by a group of its
 * own, so replies never depend on another instance's rebalance. Correlation id and deadline travel in
 * headers; a missing answer rejects with RequestTimeoutError at the deadline.
 */
export class RequestClient {
  readonly replyTopic: string;
  private readonly producer: Producer;
  private readonly sender: SendQueue;
  private readonly consumer: Consumer;
  private readonly pending = new Map<string, Pending>();
  private ready = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: RequestClientOptions,
  ) {
    this.replyTopic = replyTopicName(options.service, options.instanceId);
    this.producer = kafka.producer({ idempotent: false, maxInFlightRequests: 5, allowAutoTopicCreation: false });
    this.sender = new SendQueue(this.producer, { acks: 1, maxInFlight: 2 });
    this.consumer = kafka.consumer({
      groupId: this.replyTopic,
      maxWaitTimeInMs: 100,
      sessionTimeout: 10000,
      heartbeatInterval: 1000,
      readUncommitted: true, // replies are never transactional; skip the LSO wait
    });
  }

  get isReady() {
    return this.ready;
  }

  async start(): Promise<void> {
    await ensureTopics(this.kafka, [
      { topic: this.replyTopic, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
    ]);
    await this.producer.connect();
    await this.consumer.connect();
    // fromBeginning: a new group's "latest" is resolved only after the join, and a reply produced in between
    // would be skipped. Old replies on a reused topic carry unknown correlation ids and are ignored.
    await this.consumer.subscribe({ topic: this.replyTopic, fromBeginning: true });
    const joined = new Promise<void>((resolve) => this.consumer.on(this.consumer.events.GROUP_JOIN, () => resolve()));
    // No offset commits: kafkajs commits after every batch, which delays the next fetch; offsets of a reply
    // topic serve no purpose after a restart.
    await this.consumer.run({ autoCommit: false, eachMessage: async ({ message }) => this.onReply(message.headers, message.value) });
    await joined;
    this.ready = true;
  }

  async request<TReq, TRes>(
    topic: string,
    input: { key: string | null; companyId: string | null; subject: string | null; data: TReq },
    timeoutMs: number,
  ): Promise<TRes> {
    if (!this.ready) throw new Error('request client is not started');
    const correlationId = randomUUID();
    const started = process.hrtime.bigint();
    const observe = (outcome: string) =>
      requestReplyDuration().observe({ topic, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    return withSpan(
      `send ${topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.destination.name': topic,
          'messaging.message.conversation_id': correlationId,
        },
      },
      async () => {
        const envelope = createEnvelope({ type: topic, source: this.options.service, ...input });
        const reply = new Promise<TRes>((resolve, reject) => {
          const timer = setTimeout(() => {
            this.pending.delete(correlationId);
            reject(new RequestTimeoutError(topic, timeoutMs, correlationId));
          }, timeoutMs);
          this.pending.set(correlationId, { resolve: resolve as (v: unknown) => void, reject, timer });
        });
        const headers = injectTraceHeaders({
          [H.correlationId]: correlationId,
          [H.replyTopic]: this.replyTopic,
          [H.deadline]: String(Date.now() + timeoutMs),
        });
        try {
          // acks 1: a lost request surfaces as a timeout and a spoken fallback; speed matters more here
          await this.sender.send(topic, toKafkaMessage({ topic, key: input.key, envelope, headers }));
        } catch (error) {
          const p = this.pending.get(correlationId);
          if (p) clearTimeout(p.timer);
          this.pending.delete(correlationId);
          observe('error');
          throw error;
        }
        try {
          const result = await reply;
          observe('ok');
          return result;
        } catch (error) {
          observe(error instanceof RequestTimeoutError ? 'timeout' : 'error');
          throw error;
        }
      },
    );
  }

  private onReply(headers: Record<string, unknown> | undefined, value: Buffer | null) {
    const correlationId = headerString(headers as never, H.correlationId);
    if (!correlationId) return;
    const p = this.pending.get(correlationId);
    if (!p) return; // late reply after the deadline: already answered with the fallback
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    try {
      const body = JSON.parse(value?.toString('utf8') ?? '{}') as ReplyBody;
      if (body.ok) p.resolve(body.result);
      else p.reject(new RemoteHandlerError(body.error?.code ?? 'error', body.error?.message ?? 'remote handler failed'));
    } catch (error) {
      p.reject(error as Error);
    }
  }

  async stop(): Promise<void> {
    this.ready = false;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error('request client stopped'));
      this.pending.delete(id);
    }
    await this.consumer.disconnect();
    await this.producer.disconnect();
    if (this.options.deleteReplyTopicOnStop) {
      const admin = this.kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [this.replyTopic] }).catch(() => undefined);
      await admin.disconnect();
    }
  }
}

export type RequestHandler = (envelope: Envelope, deadline: number) => Promise<unknown>;

export interface ResponderOptions {
  groupId: string;
  topic: string;
  handler: RequestHandler;
  logger: Logger;
  /** Requests handled at once across partitions; a slow request must not delay the next caller. */
  maxInFlight?: number;
}

/**
 * Answers requests on `topic`. Handlers run concurrently (bounded), the reply goes to the requester's reply
 * topic with its correlation id. Requests past their deadline are dropped: the caller has moved on.
 */
export class RequestResponder {
  private readonly consumer: Consumer;
  private producer: Producer;
  private readonly sender: SendQueue;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly running = new Set<Promise<void>>();
  private joined = false;
  private started = false;
  private readonly progress = new Map<number, { topic: string; offset: string }>();
  private commitTimer?: NodeJS.Timeout;

  constructor(
    kafka: Kafka,
    private readonly options: ResponderOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      maxWaitTimeInMs: 100,
      sessionTimeout: 15000,
      heartbeatInterval: 1000,
      readUncommitted: true,
    });
    const newProducer = () => kafka.producer({ idempotent: false, maxInFlightRequests: 5, allowAutoTopicCreation: false });
    this.producer = newProducer();
    // Requesters' reply topics come and go with their instances; a deleted one must not poison this producer.
    this.sender = new SendQueue(this.producer, {
      acks: 1,
      maxInFlight: 2,
      renewProducer: async () => {
        const fresh = newProducer();
        await fresh.connect();
        this.producer = fresh;
        return fresh;
      },
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => (this.joined = true));
    this.consumer.on(this.consumer.events.REBALANCING, () => (this.joined = false));
  }

  get isReady() {
    return this.started && this.joined;
  }

  get topic() {
    return this.options.topic;
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    // fromBeginning for the same reason as the reply consumer; old requests are past their deadline and dropped.
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    const joined = new Promise<void>((resolve) => this.consumer.on(this.consumer.events.GROUP_JOIN, () => resolve()));
    // Offsets are committed on a timer rather than after every batch (which would delay every next fetch);
    // after a crash, requests since the last commit are re-read and dropped as expired.
    this.commitTimer = setInterval(() => void this.commitProgress(), 2000);
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 8,
      eachMessage: async ({ topic, partition, message }) => {
        this.progress.set(partition, { topic, offset: String(Number(message.offset) + 1) });
        await this.acquire();
        const task = this.handle(message.headers, message.value)
          // A reply that cannot be sent (the requester is gone) is the requester's timeout, never a crash here.
          .catch((error: Error) => this.options.logger.warn({ err: { name: error.name, message: error.message }, topic: this.options.topic }, 'reply not sent'))
          .finally(() => {
          this.running.delete(task);
          this.release();
        });
        this.running.add(task);
      },
    });
    await joined;
    this.started = true;
  }

  private async commitProgress() {
    const offsets = [...this.progress].map(([partition, p]) => ({ topic: p.topic, partition, offset: p.offset }));
    this.progress.clear();
    if (offsets.length) await this.consumer.commitOffsets(offsets).catch(() => undefined);
  }

  private async acquire() {
    const max = this.options.maxInFlight ?? 64;
    while (this.inFlight >= max) await new Promise<void>((r) => this.waiters.push(r));
    this.inFlight++;
  }

  private release() {
    this.inFlight--;
    this.waiters.shift()?.();
  }

  private async handle(headers: Record<string, unknown> | undefined, value: Buffer | null) {
    const h = headers as never;
    const correlationId = headerString(h, H.correlationId);
    const replyTopic = headerString(h, H.replyTopic);
    const deadline = Number(headerString(h, H.deadline) ?? 0);
    if (!correlationId || !replyTopic) return;
    if (deadline && Date.now() > deadline) {
      this.options.logger.warn({ correlationId, topic: this.options.topic }, 'request expired before handling; dropped');
      return;
    }
    await withSpan(
      `process ${this.options.topic}`,
      {
        kind: SpanKind.CONSUMER,
        parent: extractTraceContext(h),
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': this.options.topic,
          'messaging.consumer.group.name': this.options.groupId,
          'messaging.message.conversation_id': correlationId,
        },
      },
      async () => {
        let body: ReplyBody;
        try {
          const envelope = envelopeSchema.parse(JSON.parse(value?.toString('utf8') ?? 'null')) as Envelope;
          body = { ok: true, result: await this.options.handler(envelope, deadline) };
        } catch (error) {
          const e = error as Error & { code?: string };
          this.options.logger.error({ err: e, topic: this.options.topic, correlationId }, 'request handler failed');
          body = { ok: false, error: { code: e.code ?? e.name ?? 'error', message: e.message } };
        }
        await withSpan(`send ${replyTopic}`, { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': replyTopic } }, async () => {
          await this.sender.send(replyTopic, { key: null, value: JSON.stringify(body), headers: injectTraceHeaders({ [H.correlationId]: correlationId }) });
        });
      },
    );
  }

  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.commitTimer);
    await this.consumer.stop();
    await Promise.allSettled([...this.running]);
    await this.commitProgress();
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }
}
