/**
 * Issue 13, defect 9: the messaging tables stay bounded. Facts are written through the outbox (batches of 500 per
 * transaction, the writers held back while more than BENCH_RETENTION_BACKLOG rows wait to be published), the relay
 * publishes them to Kafka, an inbox records as many processed messages, and MessagingRetention prunes both tables
 * every second with a short retention (2 s, instead of the production 72 h / 30 days), for BENCH_RETENTION_SECONDS
 * (60) or BENCH_RETENTION_MESSAGES (1,000,000), whichever comes first. Prints the most rows ever seen in each table.
 *
 *   node -r @swc-node/register tools/bench/messaging-retention.ts
 */
import { randomUUID } from 'node:crypto';
import { OUTBOX_STATE_TOPIC } from '@receptionist/contracts';
import {
  Inbox,
  MessagingRetention,
  MessagingRetention1734200000000,
  MessagingTables1732400000000,
  Outbox,
  OutboxMessageEntity,
  OutboxRelay,
  ProcessedMessageEntity,
  createKafka,
  isTransientError,
  ensureTopics,
  specsFor,
} from '@receptionist/messaging';
import { createTestDatabase, createTopics, deleteTopics, testInfra, uniqueName } from '@receptionist/testing';
import { benchLogger, envInt, fmt, printHeader, runMain, sleep, writeResult } from './lib';

export interface RetentionBenchResult {
  messages: number;
  published: number;
  seconds: number;
  perSecond: number;
  maxOutboxRows: number;
  maxProcessedRows: number;
  finalOutboxRows: number;
  finalProcessedRows: number;
  pruned: { outbox: number; inbox: number };
  retentionMs: number;
}

const SERVICE = 'bench-retention';
let transientRetries = 0;

async function withRetries<T>(work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (!isTransientError(error)) throw error;
      transientRetries++;
    }
  }
}

async function main(): Promise<void> {
  const seconds = envInt('BENCH_RETENTION_SECONDS', 60);
  const target = envInt('BENCH_RETENTION_MESSAGES', 1_000_000);
  const maxBacklog = envInt('BENCH_RETENTION_BACKLOG', 5000);
  const retentionMs = 2000;
  printHeader(`messaging tables under retention (up to ${target} messages or ${seconds} s, retention ${retentionMs} ms)`);
  const kafka = createKafka({ brokers: testInfra.kafkaBrokers, clientId: uniqueName('bench-retention'), logger: benchLogger });
  const topic = uniqueName('bench.retention').replace('_', '-');
  await ensureTopics(kafka, specsFor([]));
  await createTopics(kafka, [{ topic, numPartitions: 3 }]);
  const db = await createTestDatabase('bench', {
    entities: [OutboxMessageEntity, ProcessedMessageEntity],
    migrations: [MessagingTables1732400000000, MessagingRetention1734200000000],
  });
  const relay = new OutboxRelay(kafka, db.dataSource, { service: SERVICE, logger: benchLogger, pollMs: 50, batchSize: 500 });
  const outbox = new Outbox(db.dataSource, SERVICE);
  outbox.onCommitted(() => relay.wake());
  const inbox = new Inbox(db.dataSource);
  const retention = new MessagingRetention(db.dataSource, { logger: benchLogger, outboxRetentionMs: retentionMs, inboxRetentionMs: retentionMs });
  relay.start();
  const count = async (table: string) => Number((await db.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  let written = 0;
  let maxOutbox = 0;
  let maxProcessed = 0;
  const pruned = { outbox: 0, inbox: 0 };
  let running = true;
  const pruner = (async () => {
    while (running) {
      const r = await retention.pruneOnce();
      pruned.outbox += r.outbox;
      pruned.inbox += r.inbox;
      maxOutbox = Math.max(maxOutbox, await count('outbox_message'));
      maxProcessed = Math.max(maxProcessed, await count('processed_message'));
      await sleep(1000);
    }
  })();
  const started = Date.now();
  try {
    while (written < target && Date.now() - started < seconds * 1000) {
      if ((await relay.backlog()) > maxBacklog) {
        await sleep(20);
        continue;
      }
      const chunk = Math.min(500, target - written);
      // A deadlock with the pruner is retried, as the consumers do with every transient failure.
      await withRetries(() =>
        outbox.transaction(async (_m, publish) => {
          for (let i = 0; i < chunk; i++) await publish({ topic, key: `k${(written + i) % 97}`, companyId: null, subject: null, data: { seq: written + i } });
        }),
      );
      // The consuming side: as many processed-message records.
      const envelopes = Array.from({ length: chunk }, () => ({ id: randomUUID(), type: topic }));
      await withRetries(() => inbox.handleBatchOnce('bench-consumer', envelopes, async () => undefined));
      written += chunk;
    }
    const elapsed = (Date.now() - started) / 1000;
    while ((await relay.backlog()) > 0) await sleep(50);
    running = false;
    await pruner;
    const result: RetentionBenchResult = {
      messages: written,
      published: Number((await db.dataSource.query('SELECT COUNT(*) AS n FROM outbox_message WHERE published_at IS NOT NULL'))[0].n) + pruned.outbox,
      seconds: elapsed,
      perSecond: written / elapsed,
      maxOutboxRows: maxOutbox,
      maxProcessedRows: maxProcessed,
      finalOutboxRows: await count('outbox_message'),
      finalProcessedRows: await count('processed_message'),
      pruned,
      retentionMs,
    };
    console.log(
      `${result.messages} messages in ${fmt(elapsed, 1)} s (${fmt(result.perSecond, 0)}/s, ${result.published} published)` +
        `${written < target ? `; ${target} did not fit in ${seconds} s` : ''}`,
    );
    console.log(`outbox_message: at most ${maxOutbox} rows, ${result.finalOutboxRows} at the end, ${pruned.outbox} pruned`);
    console.log(`transient failures retried (deadlocks with the pruner): ${transientRetries}`);
    console.log(`processed_message: at most ${maxProcessed} rows, ${result.finalProcessedRows} at the end, ${pruned.inbox} pruned`);
    writeResult(result);
  } finally {
    running = false;
    await pruner.catch(() => undefined);
    await relay.stop({ flush: false });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: OUTBOX_STATE_TOPIC, acks: -1, messages: [{ key: `${SERVICE}:${db.database}`, value: null }] });
    await producer.disconnect();
    await db.drop();
    await deleteTopics(kafka, [topic]);
  }
}

runMain('messaging-retention', main);
