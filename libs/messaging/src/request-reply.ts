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
import { SupervisedConsumer } from './supervised-consumer';
import { CompletedOffsets } from './completed-offsets';

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
  private readonly consumer: SupervisedConsumer;
  private readonly pending = new Map<string, Pending>();
  private started = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: RequestClientOptions,
  ) {
    this.replyTopic = replyTopicName(options.service, options.instanceId);
    this.producer = kafka.producer({ idempotent: false, maxInFlightRequests: 5, allowAutoTopicCreation: false });
    this.sender = new SendQueue(this.producer, { acks: 1, maxInFlight: 2 });
    this.consumer = new SupervisedConsumer(kafka, {
      config: {
        groupId: this.replyTopic,
        maxWaitTimeInMs: 100,
        sessionTimeout: 10000,
        heartbeatInterval: 1000,
        readUncommitted: true, // replies are never transactional; skip the LSO wait
      },
      logger: options.logger,
      rejoinDeadlineMs: 30_000,
      // Recreated before every (re)start: a reply topic lost with a broker's data (or deleted by the janitor of a
      // wrongly presumed dead instance) comes back instead of failing every request.
      prepare: () => this.ensureReplyTopic(),
      run: async (consumer) => {
        // fromBeginning: a new group's "latest" is resolved only after the join, and a reply produced in between
        // would be skipped. Old replies on a reused topic carry unknown correlation ids and are ignored.
        await consumer.subscribe({ topic: this.replyTopic, fromBeginning: true });
        // No offset commits: kafkajs commits after every batch, which delays the next fetch; offsets of a reply
        // topic serve no purpose after a restart.
        await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => this.onReply(message.headers, message.value) });
      },
    });
  }

  /** Started and its reply consumer in its group (false while it rejoins after a broker outage). */
  get isReady() {
    return this.started && this.consumer.isJoined;
  }

  private async ensureReplyTopic(): Promise<void> {
    await ensureTopics(this.kafka, [
      { topic: this.replyTopic, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
    ]);
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.start();
    await this.consumer.waitUntilJoined();
    this.started = true;
  }

  async request<TReq, TRes>(
    topic: string,
    input: { key: string | null; companyId: string | null; subject: string | null; data: TReq },
    timeoutMs: number,
  ): Promise<TRes> {
    if (!this.started) throw new Error('request client is not started');
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
        // The deadline can pass while the send still waits for a broker (an outage): handled below, never unhandled.
        reply.catch(() => undefined);
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
    this.started = false;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error('request client stopped'));
      this.pending.delete(id);
    }
    await this.consumer.stop();
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

/**
 * What a handler returns for a request that another instance answers (an instance serving only some companies, see
 * companyScope): nothing is sent and the request is done at once. Holding it until its deadline instead would take
 * one of this instance's places for requests in flight for that long, and another instance's busy requester then
 * fills them all: this instance's own requests wait behind them past their deadlines.
 */
export const NO_REPLY: unique symbol = Symbol('no reply');

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
 * topic with its correlation id. Requests past their deadline are dropped: the caller has moved on; a handler's
 * NO_REPLY (another instance's request) sends nothing.
 */
export class RequestResponder {
  private readonly consumer: SupervisedConsumer;
  private producer: Producer;
  private readonly sender: SendQueue;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly running = new Set<Promise<void>>();
  private started = false;
  /** Offsets safe to commit; a new tracker with every new consumer (its partitions start from the committed offsets). */
  private offsets = new CompletedOffsets();
  private commitTimer?: NodeJS.Timeout;

  constructor(
    kafka: Kafka,
    private readonly options: ResponderOptions,
  ) {
    // Replaced by a new consumer when kafkajs gives up on it (broker or coordinator outage), see SupervisedConsumer.
    this.consumer = new SupervisedConsumer(kafka, {
      config: { groupId: options.groupId, maxWaitTimeInMs: 100, sessionTimeout: 15000, heartbeatInterval: 1000, readUncommitted: true },
      logger: options.logger,
      rejoinDeadlineMs: 30_000,
      run: (consumer) => this.runOn(consumer),
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
  }

  /** Started and its consumer in its group (false while it rejoins after a broker outage). */
  get isReady() {
    return this.started && this.consumer.isJoined;
  }

  get topic() {
    return this.options.topic;
  }

  async start(): Promise<void> {
    await this.producer.connect();
    // Offsets are committed on a timer rather than after every batch (which would delay every next fetch), and
    // only up to the oldest request still in flight: after a crash, unanswered requests are read again (and
    // answered if still within their deadline, dropped if not).
    this.commitTimer = setInterval(() => void this.commitProgress(), 2000);
    await this.consumer.start();
    await this.consumer.waitUntilJoined();
    this.started = true;
  }

  private async runOn(consumer: Consumer): Promise<void> {
    const offsets = (this.offsets = new CompletedOffsets());
    // fromBeginning for the same reason as the reply consumer; old requests are past their deadline and dropped.
    await consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 8,
      eachMessage: async ({ topic, partition, message }) => {
        offsets.begin(topic, partition, message.offset);
        await this.acquire();
        const task = this.handle(message.headers, message.value)
          // A reply that cannot be sent (the requester is gone) is the requester's timeout, never a crash here.
          .catch((error: Error) => this.options.logger.warn({ err: { name: error.name, message: error.message }, topic: this.options.topic }, 'reply not sent'))
          .finally(() => {
            offsets.done(topic, partition, message.offset);
            this.running.delete(task);
            this.release();
          });
        this.running.add(task);
      },
    });
  }

  private async commitProgress() {
    const consumer = this.consumer.consumer;
    const offsets = this.offsets;
    const committable = offsets.takeCommittable();
    if (!consumer || committable.length === 0) return;
    await consumer.commitOffsets(committable).catch(() => offsets.uncommit(committable));
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
          const result = await this.options.handler(envelope, deadline);
          if (result === NO_REPLY) return;
          body = { ok: true, result };
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
    await this.consumer.consumer?.stop();
    await Promise.allSettled([...this.running]);
    await this.commitProgress();
    await this.consumer.stop();
    await this.producer.disconnect();
  }
}
