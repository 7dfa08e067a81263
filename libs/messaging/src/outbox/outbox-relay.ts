import type { Kafka, Producer } from 'kafkajs';
import { DataSource, IsNull, QueryRunner, In, Not } from 'typeorm';
import type { Logger } from 'pino';
import { OUTBOX_STATE_TOPIC } from '@receptionist/contracts';
import {
  SpanKind,
  outboxBacklog,
  outboxOldestAge,
  outboxPublishLatency,
  producedMessages,
  tracer,
  extractTraceContext,
  trace,
} from '@receptionist/observability';
import { OutboxMessage, OutboxMessageEntity } from './outbox-message.entity';
import { readLatestState } from './relay-state';
import { H } from '../headers';
import { outboxParked, outboxParkedRows } from '../metrics';
import { isMessageTooLargeError, isUnknownTopicError } from '../send-queue';

export interface OutboxRelayOptions {
  service: string;
  logger: Logger;
  pollMs?: number;
  batchSize?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Publishes outbox rows to Kafka, in id order, exactly once.
 *
 * - One active relay per service database: a MySQL named lock held on a dedicated connection (released by
 *   the server if the process dies), so rows of one key are never published out of order by two relays.
 * - Each batch is sent in one Kafka transaction together with a record of its row ids on the compacted
 *   state topic. The rows are marked published after the commit. If the process dies between the commit and
 *   the mark, the next relay reads the state topic first and marks that batch instead of sending it again;
 *   if it dies before the commit, the transaction is aborted (fenced by the same transactional id) and
 *   read_committed consumers never see it.
 */
export class OutboxRelay {
  private producer: Producer;
  private readonly newProducer: () => Producer;
  private readonly knownTopics = new Set<string>();
  private lastBacklogReport = 0;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly lockName: string;
  private readonly stateKey: string;
  private lockRunner?: QueryRunner;
  private leader = false;
  private stopping = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  private pendingWake = false;
  private producerConnected = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly dataSource: DataSource,
    private readonly options: OutboxRelayOptions,
  ) {
    this.pollMs = options.pollMs ?? 500;
    this.batchSize = options.batchSize ?? 200;
    const database = String(dataSource.options.database);
    this.lockName = `outbox-relay:${database}`;
    this.stateKey = `${options.service}:${database}`;
    this.newProducer = () =>
      kafka.producer({
        transactionalId: `outbox-relay.${options.service}.${database}`,
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // A transaction begun right after the previous commit may be refused as "concurrent"; retry quickly
        // (the shared default of 100 ms stalled every event committed in that window).
        retry: { initialRetryTime: 10, maxRetryTime: 1000, retries: 10 },
      });
    this.producer = this.newProducer();
  }

  get isLeader() {
    return this.leader;
  }

  /** Starts the loop in the background; a standby relay keeps trying to take the lock. */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run().catch((error) => {
      this.options.logger.error({ err: error }, 'outbox relay stopped on an error');
    });
  }

  /** Call after a transaction that wrote outbox rows has committed. */
  wake(): void {
    this.pendingWake = true;
    this.wakeUp?.();
  }

  /** Stops; with `flush`, publishes what is pending first (bounded by `deadlineMs`). */
  async stop({ flush = true, deadlineMs = 10000 } = {}): Promise<void> {
    const until = Date.now() + deadlineMs;
    if (flush && this.leader) {
      while (Date.now() < until && (await this.backlog()) > 0) {
        this.wake();
        await sleep(20);
      }
    }
    this.stopping = true;
    this.wake();
    await this.loop;
    this.loop = undefined;
    await this.releaseLeadership();
  }

  /** Rows waiting to be published (parked rows are not waiting: they are counted apart). */
  async backlog(): Promise<number> {
    return this.dataSource.getRepository(OutboxMessageEntity).count({ where: { publishedAt: IsNull(), parkedAt: IsNull() } });
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        if (!this.leader && !(await this.tryTakeLeadership())) {
          await this.idle(this.pollMs * 2);
          continue;
        }
        const published = await this.publishBatch();
        if (published === 0) await this.idle(this.pollMs);
      } catch (error) {
        if (this.stopping) break;
        this.options.logger.warn({ err: error }, 'outbox relay: publish failed, retrying');
        await this.releaseLeadership();
        await this.idle(this.pollMs);
      }
    }
  }

  private async idle(ms: number): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
    this.wakeUp = undefined;
    this.pendingWake = false;
    await this.reportBacklog();
  }

  private async tryTakeLeadership(): Promise<boolean> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    const [row] = await runner.query('SELECT GET_LOCK(?, 0) AS got', [this.lockName]);
    if (Number(row.got) !== 1) {
      await runner.release();
      return false;
    }
    this.lockRunner = runner;
    try {
      if (!this.producerConnected) {
        await this.producer.connect();
        this.producerConnected = true;
      }
      await this.recover();
    } catch (error) {
      await this.releaseLeadership();
      throw error;
    }
    this.leader = true;
    this.options.logger.info({ lock: this.lockName }, 'outbox relay is active');
    return true;
  }

  /** Marks the batch the previous relay committed to Kafka but may not have marked. */
  private async recover(): Promise<void> {
    const state = await readLatestState(this.kafka, this.stateKey);
    if (!state) return;
    const ids = (JSON.parse(state) as { ids: string[] }).ids;
    if (ids.length === 0) return;
    const result = await this.dataSource
      .getRepository(OutboxMessageEntity)
      .update({ id: In(ids), publishedAt: IsNull() }, { publishedAt: new Date() });
    if (result.affected) {
      this.options.logger.warn({ rows: result.affected }, 'outbox relay: marked a batch already committed to Kafka');
    }
  }

  private async releaseLeadership(): Promise<void> {
    this.leader = false;
    if (this.producerConnected) {
      this.producerConnected = false;
      await this.producer.disconnect().catch(() => undefined);
    }
    if (this.lockRunner) {
      const runner = this.lockRunner;
      this.lockRunner = undefined;
      await runner.query('SELECT RELEASE_LOCK(?)', [this.lockName]).catch(() => undefined);
      await runner.release().catch(() => undefined);
    }
  }

  private async publishBatch(): Promise<number> {
    // The lock connection doubles as a liveness check: if it died, the server released the lock.
    await this.lockRunner!.query('SELECT 1');
    const rows: OutboxMessage[] = await this.dataSource.getRepository(OutboxMessageEntity).find({
      where: { publishedAt: IsNull(), parkedAt: IsNull() },
      order: { id: 'ASC' },
      take: this.batchSize,
    });
    if (rows.length === 0) return 0;

    const span = tracer().startSpan(`publish outbox`, {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': 'kafka', 'messaging.batch.message_count': rows.length },
      // Each row's writing transaction is linked, so a trace leads from the state change to its publication.
      links: rows
        .map((r) => trace.getSpanContext(extractTraceContext(JSON.parse(r.headers))))
        .filter((c): c is NonNullable<typeof c> => !!c)
        .map((c) => ({ context: c })),
    });
    try {
      // A row for a topic that does not exist would make kafkajs retry the batch's metadata for seconds, every time.
      const missing = await this.missingTopics(rows);
      const sendable: OutboxMessage[] = [];
      for (const row of rows) {
        if (missing.has(row.topic)) await this.park(row, `unknown_topic: ${row.topic} does not exist`);
        else sendable.push(row);
      }
      if (sendable.length) await this.publishRows(sendable);
      return rows.length;
    } finally {
      span.end();
    }
  }

  /**
   * Publishes rows in one transaction. When Kafka refuses a row for good (too large, topic gone), the batch is split
   * in halves, in order, until the refused row stands alone; it is parked with its reason and the rest goes on.
   * Anything else (broker down, fenced) is thrown: the loop retries the whole batch later.
   */
  private async publishRows(rows: OutboxMessage[]): Promise<void> {
    try {
      await this.sendInTransaction(rows);
    } catch (error) {
      const reason = await this.refusedForGood(error, rows);
      if (!reason) throw error;
      await this.renewProducer();
      if (rows.length === 1) {
        await this.park(rows[0], reason);
        return;
      }
      const half = Math.ceil(rows.length / 2);
      await this.publishRows(rows.slice(0, half));
      await this.publishRows(rows.slice(half));
    }
  }

  private async sendInTransaction(rows: OutboxMessage[]): Promise<void> {
    const transaction = await this.producer.transaction();
    try {
      const byTopic = new Map<string, OutboxMessage[]>();
      for (const row of rows) byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), row]);
      await transaction.sendBatch({
        acks: -1,
        topicMessages: [
          ...[...byTopic].map(([topic, list]) => ({
            topic,
            messages: list.map((row) => ({
              key: row.messageKey,
              value: row.payload,
              // The row's own trace context travels on, so consumers continue the writer's trace.
              headers: { ...JSON.parse(row.headers), [H.messageId]: row.messageId, [H.messageType]: row.topic },
            })),
          })),
          {
            topic: OUTBOX_STATE_TOPIC,
            messages: [{ key: this.stateKey, value: JSON.stringify({ ids: rows.map((r) => String(r.id)) }) }],
          },
        ],
      });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
    await this.markPublished(rows.map((r) => r.id));
    const now = Date.now();
    for (const row of rows) {
      outboxPublishLatency().observe((now - row.createdAt.getTime()) / 1000);
      producedMessages().inc({ topic: row.topic });
    }
  }

  /** Why Kafka will never take these rows, or null when the failure may pass (then the batch is retried whole). */
  private async refusedForGood(error: unknown, rows: OutboxMessage[]): Promise<string | null> {
    const e = error as { type?: string; message?: string; cause?: { type?: string; message?: string } };
    const type = e?.type ?? e?.cause?.type;
    const text = `${e?.message ?? ''} ${e?.cause?.message ?? ''}`;
    if (isMessageTooLargeError(error) || /too large/i.test(text)) {
      return `too_large: ${rows.length === 1 ? `${Buffer.byteLength(rows[0].payload)} bytes; ` : ''}${text.trim()}`.slice(0, 500);
    }
    if (type === 'INVALID_TOPIC_EXCEPTION') return `invalid_topic: ${text.trim()}`.slice(0, 500);
    if (isUnknownTopicError(error)) {
      this.knownTopics.clear();
      const missing = await this.missingTopics(rows);
      if (rows.some((r) => missing.has(r.topic))) return `unknown_topic: ${[...missing].join(', ')} does not exist`.slice(0, 500);
    }
    return null;
  }

  /** Topics of these rows that the broker does not have (asked only for topics not seen before). */
  private async missingTopics(rows: OutboxMessage[]): Promise<Set<string>> {
    const unseen = [...new Set(rows.map((r) => r.topic))].filter((t) => !this.knownTopics.has(t));
    if (unseen.length === 0) return new Set();
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      for (const t of existing) this.knownTopics.add(t);
      return new Set(unseen.filter((t) => !existing.has(t)));
    } finally {
      await admin.disconnect();
    }
  }

  /** Sets a row aside for good, with its reason; an operator republishes or deletes it (docs/operations.md). */
  private async park(row: OutboxMessage, reason: string): Promise<void> {
    await this.dataSource.getRepository(OutboxMessageEntity).update({ id: row.id }, { parkedAt: new Date(), parkReason: reason.slice(0, 500) });
    outboxParked().inc({ topic: row.topic, reason: reason.split(':')[0] });
    this.options.logger.error({ outboxId: row.id, messageId: row.messageId, topic: row.topic, reason }, 'outbox row refused by Kafka for good; parked');
  }

  /** A transactional producer that saw a refused send is replaced (kafkajs keeps asking for a vanished topic). */
  private async renewProducer(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
    this.producer = this.newProducer();
    await this.producer.connect();
  }

  /** Separate step (and the crash point the tests aim at): the batch is in Kafka, the rows not yet marked. */
  protected async markPublished(ids: string[]): Promise<void> {
    await this.dataSource.getRepository(OutboxMessageEntity).update({ id: In(ids) }, { publishedAt: new Date() });
  }

  /** At most every 5 s (it ran on every idle tick); both counts use ix_outbox_pending / ix_outbox_parked. */
  private async reportBacklog(): Promise<void> {
    if (Date.now() - this.lastBacklogReport < 5000) return;
    this.lastBacklogReport = Date.now();
    try {
      const repo = this.dataSource.getRepository(OutboxMessageEntity);
      const oldest = await repo.findOne({ where: { publishedAt: IsNull(), parkedAt: IsNull() }, order: { id: 'ASC' } });
      outboxBacklog().set(oldest ? await this.backlog() : 0);
      outboxOldestAge().set(oldest ? (Date.now() - oldest.createdAt.getTime()) / 1000 : 0);
      outboxParkedRows().set(await repo.count({ where: { publishedAt: IsNull(), parkedAt: Not(IsNull()) } }));
    } catch {
      // metrics are best effort; the next idle tick tries again
    }
  }
}
