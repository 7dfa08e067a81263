import type { Kafka, Producer } from 'kafkajs';
import { DataSource, IsNull, QueryRunner, In } from 'typeorm';
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
  private readonly producer: Producer;
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
    this.producer = kafka.producer({
      transactionalId: `outbox-relay.${options.service}.${database}`,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // A transaction begun right after the previous commit may be refused as "concurrent"; retry quickly
      // (the shared default of 100 ms stalled every event committed in that window).
      retry: { initialRetryTime: 10, maxRetryTime: 1000, retries: 10 },
    });
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

  async backlog(): Promise<number> {
    return this.dataSource.getRepository(OutboxMessageEntity).count({ where: { publishedAt: IsNull() } });
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
      where: { publishedAt: IsNull() },
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
      return rows.length;
    } finally {
      span.end();
    }
  }

  /** Separate step (and the crash point the tests aim at): the batch is in Kafka, the rows not yet marked. */
  protected async markPublished(ids: string[]): Promise<void> {
    await this.dataSource.getRepository(OutboxMessageEntity).update({ id: In(ids) }, { publishedAt: new Date() });
  }

  private async reportBacklog(): Promise<void> {
    try {
      const repo = this.dataSource.getRepository(OutboxMessageEntity);
      const oldest = await repo.findOne({ where: { publishedAt: IsNull() }, order: { id: 'ASC' } });
      outboxBacklog().set(oldest ? await this.backlog() : 0);
      outboxOldestAge().set(oldest ? (Date.now() - oldest.createdAt.getTime()) / 1000 : 0);
    } catch {
      // metrics are best effort; the next idle tick tries again
    }
  }
}
