/**
 * Outbox commit-to-publish latency and burst throughput against the real MariaDB + Kafka.
 *
 *   node -r @swc-node/register tools/bench/outbox-latency.ts
 *
 * Env: BENCH_N (sequential events, 500), BENCH_GAP_MS (pause between them, 5), BENCH_BURST (burst events, 2000),
 * BENCH_WRITERS (concurrent burst writers, 10), BENCH_LOG_LEVEL (pino level for library logs, error).
 * Prints figures only; nothing is asserted.
 */
import type { Consumer, Kafka } from 'kafkajs';
import { OUTBOX_STATE_TOPIC } from '@receptionist/contracts';
import {
  MessagingRetention1734200000000,
  MessagingTables1732400000000,
  Outbox,
  OutboxMessageEntity,
  OutboxRelay,
  ProcessedMessageEntity,
  createKafka,
  ensureTopics,
  headerString,
  H,
  specsFor,
} from '@receptionist/messaging';
import { createTestDatabase, createTopics, deleteTopics, testInfra, testKafkaSecurity, uniqueName } from '@receptionist/testing';
import {
  benchLogger,
  deleteGroups,
  envInt,
  fmt,
  now,
  printHeader,
  runMain,
  sleep,
  stats,
  statsLine,
  writeResult,
  type Stats,
} from './lib';

const SERVICE = 'bench';
const WARMUP = 20;
const POLL_MS = 500;

/**
 * Records the relay's batches (one Kafka transaction each) through the hook the library exposes for tests:
 * `markPublished` runs right after the Kafka commit, so its time splits the latency into relay and consumer parts.
 */
class CountingRelay extends OutboxRelay {
  readonly batchSizes: number[] = [];
  /** outbox row id -> time its Kafka transaction had committed */
  readonly kafkaCommittedAt = new Map<string, number>();
  protected override async markPublished(ids: string[]): Promise<void> {
    const at = now();
    this.batchSizes.push(ids.length);
    for (const id of ids) this.kafkaCommittedAt.set(String(id), at);
    await super.markPublished(ids);
  }
}

/** commit -> consumed, split at the relay's Kafka commit (relay: pick-up + Kafka transaction; consume: fetch). */
export interface LatencyBreakdown {
  total: Stats;
  relay: Stats;
  consume: Stats;
}

export interface OutboxBenchResult {
  relayStartupMs: number;
  sequential: { events: number; gapMs: number; commit: Stats; latency: LatencyBreakdown; missing: number; batches: number };
  burst: {
    events: number;
    writers: number;
    commitMsgsPerSec: number;
    endToEndMsgsPerSec: number;
    drainAfterLastCommitMs: number;
    latency: LatencyBreakdown;
    missing: number;
    batches: number;
    meanBatch: number;
  };
  duplicates: number;
}

/** Arrival times of envelope ids on the test topic, as seen by a read_committed consumer. */
class ArrivalLog {
  readonly at = new Map<string, number>();
  duplicates = 0;

  record(id: string | undefined): void {
    if (!id) return;
    if (this.at.has(id)) this.duplicates++;
    else this.at.set(id, now());
  }

  /** Resolves with how many of `ids` have not arrived once all have or `timeoutMs` passed. */
  async waitFor(ids: string[], timeoutMs: number): Promise<number> {
    const until = now() + timeoutMs;
    for (;;) {
      const missing = ids.reduce((n, id) => n + (this.at.has(id) ? 0 : 1), 0);
      if (missing === 0 || now() > until) return missing;
      await sleep(5);
    }
  }
}

async function startConsumer(kafka: Kafka, topic: string, groupId: string, log: ArrivalLog): Promise<Consumer> {
  // Same fetch wait as the services' EventConsumer, so the figure is what a real consumer would see;
  // read_committed is the kafkajs default and what consumers of outbox topics must use.
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  await consumer.run({ eachMessage: async ({ message }) => log.record(headerString(message.headers, H.messageId)) });
  await joined;
  return consumer;
}

async function main(): Promise<void> {
  const n = envInt('BENCH_N', 500);
  const gapMs = envInt('BENCH_GAP_MS', 5);
  const burst = envInt('BENCH_BURST', 2000);
  const writers = envInt('BENCH_WRITERS', 10);
  printHeader(`outbox commit-to-publish (N=${n}, gap ${gapMs} ms, burst ${burst} x ${writers} writers, pollMs ${POLL_MS})`);

  const kafka = createKafka({ brokers: testInfra.kafkaBrokers, clientId: uniqueName('bench-outbox'), logger: benchLogger, security: testKafkaSecurity() });
  const topic = uniqueName('bench.outbox').replace('_', '-');
  const groupId = uniqueName('bench-outbox-consumer');
  const cleanup: (() => Promise<unknown>)[] = [];

  try {
    await ensureTopics(kafka, specsFor([])); // only the relay's state topic, if a fresh broker lacks it
    await createTopics(kafka, [{ topic, numPartitions: 3 }]);
    cleanup.push(() => deleteTopics(kafka, [topic]));
    const db = await createTestDatabase('bench', {
      entities: [OutboxMessageEntity, ProcessedMessageEntity],
      migrations: [MessagingTables1732400000000, MessagingRetention1734200000000],
    });
    cleanup.push(() => db.drop());

    const arrivals = new ArrivalLog();
    const consumer = await startConsumer(kafka, topic, groupId, arrivals);
    cleanup.push(async () => {
      await consumer.disconnect();
      await deleteGroups(kafka, [groupId]);
    });

    const relay = new CountingRelay(kafka, db.dataSource, { service: SERVICE, logger: benchLogger, pollMs: POLL_MS });
    const outbox = new Outbox(db.dataSource, SERVICE);
    outbox.onCommitted(() => relay.wake());
    const relayStarted = now();
    relay.start();
    cleanup.push(async () => {
      await relay.stop({ flush: false });
      await tombstoneRelayState(kafka, `${SERVICE}:${db.database}`);
    });
    // Taking the lock includes reading the shared state topic to the end, so it is reported on its own.
    while (!relay.isLeader) {
      if (now() - relayStarted > 30_000) throw new Error('relay did not become leader within 30 s');
      await sleep(10);
    }
    const relayStartupMs = now() - relayStarted;
    console.log(`relay leader after ${fmt(relayStartupMs, 0)} ms (lock + state-topic recovery)`);

    const committedAt = new Map<string, number>();
    const commitOne = async (phase: string, seq: number): Promise<{ id: string; commitMs: number }> => {
      const started = now();
      const envelope = await outbox.transaction((_manager, publish) =>
        publish({ topic, key: `agg-${seq % 64}`, companyId: 'bench', subject: null, data: { phase, seq } }),
      );
      const committed = now(); // transaction() has returned: committed, and the relay has been woken
      committedAt.set(envelope.id, committed);
      return { id: envelope.id, commitMs: committed - started };
    };

    // Warm-up: producer id / transaction coordinator, metadata, connection pools, JIT.
    const warm: string[] = [];
    for (let i = 0; i < WARMUP; i++) warm.push((await commitOne('warmup', i)).id);
    await arrivals.waitFor(warm, 30_000);

    // 1. Sequential single-event transactions with small gaps: the latency a lone fact sees.
    const seqBatchMark = relay.batchSizes.length;
    const seqIds: string[] = [];
    const commitTimes: number[] = [];
    for (let i = 0; i < n; i++) {
      const { id, commitMs } = await commitOne('sequential', i);
      seqIds.push(id);
      commitTimes.push(commitMs);
      await sleep(gapMs);
    }
    const seqMissing = await arrivals.waitFor(seqIds, 30_000);
    const seqBatches = relay.batchSizes.length - seqBatchMark;

    // 2. Burst: `writers` concurrent writers commit `burst` events as fast as they can.
    await sleep(POLL_MS); // let the relay go idle so the burst starts from the same state as a real spike
    const burstBatchMark = relay.batchSizes.length;
    const burstIds: string[] = [];
    let next = 0;
    const burstStart = now();
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (next < burst) {
          const seq = next++;
          burstIds.push((await commitOne('burst', seq)).id);
        }
      }),
    );
    const lastCommit = now();
    const burstMissing = await arrivals.waitFor(burstIds, 60_000);
    const lastArrival = Math.max(...burstIds.map((id) => arrivals.at.get(id) ?? -Infinity));
    const burstBatchSizes = relay.batchSizes.slice(burstBatchMark);

    // Row ids are only known to the database; one query after the run maps them to envelope ids.
    const rows: { id: string; message_id: string }[] = await db.dataSource.query('SELECT id, message_id FROM outbox_message');
    const kafkaCommittedAt = new Map<string, number>();
    for (const row of rows) {
      const at = relay.kafkaCommittedAt.get(String(row.id));
      if (at !== undefined) kafkaCommittedAt.set(row.message_id, at);
    }
    const breakdown = (ids: string[]): LatencyBreakdown => {
      const done = ids.filter((id) => arrivals.at.has(id) && kafkaCommittedAt.has(id));
      return {
        total: stats(done.map((id) => arrivals.at.get(id)! - committedAt.get(id)!)),
        relay: stats(done.map((id) => kafkaCommittedAt.get(id)! - committedAt.get(id)!)),
        consume: stats(done.map((id) => arrivals.at.get(id)! - kafkaCommittedAt.get(id)!)),
      };
    };

    const result: OutboxBenchResult = {
      relayStartupMs,
      sequential: {
        events: n,
        gapMs,
        commit: stats(commitTimes),
        latency: breakdown(seqIds),
        missing: seqMissing,
        batches: seqBatches,
      },
      burst: {
        events: burst,
        writers,
        commitMsgsPerSec: (burst / (lastCommit - burstStart)) * 1000,
        endToEndMsgsPerSec: ((burst - burstMissing) / (lastArrival - burstStart)) * 1000,
        drainAfterLastCommitMs: lastArrival - lastCommit,
        latency: breakdown(burstIds),
        missing: burstMissing,
        batches: burstBatchSizes.length,
        meanBatch: burstBatchSizes.reduce((sum, size) => sum + size, 0) / Math.max(1, burstBatchSizes.length),
      },
      duplicates: arrivals.duplicates,
    };
    report(result);
    writeResult(result);
  } finally {
    for (const step of cleanup.reverse()) {
      await step().catch((error: unknown) => console.error('[outbox-latency] cleanup step failed:', error));
    }
  }
}

function report(r: OutboxBenchResult): void {
  const s = r.sequential;
  const b = r.burst;
  console.log(`\nsequential: ${s.events} single-event transactions, ${s.gapMs} ms apart, ${s.batches} relay batches`);
  console.log(statsLine('  DB transaction (begin..commit)', s.commit));
  printBreakdown(s.latency);
  console.log(`  missing ${s.missing}`);
  console.log(`\nburst: ${b.events} events from ${b.writers} concurrent writers, ${b.batches} relay batches (mean ${fmt(b.meanBatch)} rows)`);
  console.log(`  commit rate          ${fmt(b.commitMsgsPerSec, 0)} msgs/s`);
  console.log(`  end-to-end rate      ${fmt(b.endToEndMsgsPerSec, 0)} msgs/s (first commit start .. last consumed)`);
  console.log(`  drain after last commit ${fmt(b.drainAfterLastCommitMs, 0)} ms`);
  printBreakdown(b.latency);
  console.log(`  missing ${b.missing}`);
  console.log(`\nduplicates received: ${r.duplicates}`);
}

function printBreakdown(l: LatencyBreakdown): void {
  console.log(statsLine('  commit -> consumed (read_committed)', l.total));
  console.log(statsLine('    commit -> Kafka tx committed', l.relay));
  console.log(statsLine('    Kafka tx committed -> consumed', l.consume));
}

/**
 * The relay records its last batch per `<service>:<database>` on the shared compacted state topic; the
 * database is gone after the run, so a tombstone lets compaction drop the key instead of keeping it forever.
 */
async function tombstoneRelayState(kafka: Kafka, key: string): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic: OUTBOX_STATE_TOPIC, acks: -1, messages: [{ key, value: null }] });
  } finally {
    await producer.disconnect();
  }
}

if (require.main === module) runMain('outbox-latency', main);
