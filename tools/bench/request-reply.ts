/**
 * Request-reply round trip over the real Kafka broker, next to a raw kafkajs produce -> consume hop as a floor
 * (a request-reply is two such hops plus the responder and the correlation bookkeeping).
 *
 *   node -r @swc-node/register tools/bench/request-reply.ts
 *
 * Env: BENCH_RR_N (sequential requests, 1000), BENCH_RR_CONC_N (requests per concurrency level, 2000),
 * BENCH_HOP_N (raw hops on an idle consumer, 500; at most 300 more back-to-back),
 * BENCH_LOG_LEVEL (pino level for library logs, error).
 * Prints figures only; nothing is asserted.
 */
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { RequestClient, RequestResponder, RequestTimeoutError, createKafka } from '@receptionist/messaging';
import { createTopics, deleteTopics, testInfra, testKafkaSecurity, uniqueName } from '@receptionist/testing';
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

const TIMEOUT_MS = 5000;
const WARMUP = 50;
/** Pause between raw hops so the consumer has committed and is parked in its next fetch (see measureRawHop). */
const IDLE_GAP_MS = 20;
const CONCURRENCY_LEVELS = [10, 50];
/** Partitions of the request topic, as voice.function.call in the catalogue. */
const REQUEST_PARTITIONS = 6;

interface EchoData {
  seq: number;
}

export interface RunFigures {
  concurrency: number;
  requests: number;
  rtt: Stats;
  /** request produced -> handler invoked (client producer, broker, responder fetch) */
  requestLeg: Stats;
  /** handler invoked -> reply matched (responder producer, broker, client fetch) */
  replyLeg: Stats;
  requestsPerSec: number;
  timeouts: number;
  errors: number;
  mismatches: number;
}

export interface RequestReplyBenchResult {
  hop: { send: Stats; oneHop: Stats; backToBack: Stats };
  runs: RunFigures[];
}

/**
 * Floor: one produce -> consume hop with the settings the request path uses (acks 1, non-idempotent producer,
 * read_uncommitted consumer with a 100 ms fetch wait, default auto-commit), the consumer joined beforehand.
 *
 * kafkajs commits offsets after every batch before it fetches again, and this broker's group coordinator
 * lingers 5 ms on each commit (group.coordinator.append.linger.ms). Producing the next message the moment the
 * previous one is consumed therefore measures that commit, not the hop. The floor leaves the consumer idle
 * (`IDLE_GAP_MS` between hops, as a responder between calls); the back-to-back figure shows the commit cost.
 */
export async function measureRawHop(kafka: Kafka, topic: string, groupId: string, idleCount: number, backToBackCount: number) {
  const producer: Producer = kafka.producer({ idempotent: false, maxInFlightRequests: 5, allowAutoTopicCreation: false });
  const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, readUncommitted: true });
  const arrived = new Map<number, number>();
  let waiting: { seq: number; resolve: () => void } | undefined;
  let seq = 0;

  /** Sends `count` messages one at a time, each after the previous one arrived and `gapMs` passed. */
  const phase = async (count: number, gapMs: number) => {
    const send: number[] = [];
    const hop: number[] = [];
    for (let i = 0; i < count; i++, seq++) {
      if (gapMs > 0) await sleep(gapMs);
      // registered before sending: the fetch can deliver the message before send() resolves with its ack
      const received = new Promise<void>((resolve) => (waiting = { seq, resolve }));
      const started = now();
      await producer.send({
        topic,
        acks: 1,
        messages: [{ key: `call-${seq % 64}`, value: JSON.stringify({ seq }), headers: { seq: String(seq) } }],
      });
      send.push(now() - started);
      if (!arrived.has(seq)) await withTimeout(received, TIMEOUT_MS, `raw hop ${seq}`);
      hop.push(arrived.get(seq)! - started);
    }
    return { send: stats(send), hop: stats(hop) };
  };

  await producer.connect();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
    await consumer.run({
      partitionsConsumedConcurrently: 8, // as the responder
      eachMessage: async ({ message }) => {
        const arrivedSeq = Number(message.headers?.seq?.toString());
        arrived.set(arrivedSeq, now());
        if (waiting?.seq === arrivedSeq) waiting.resolve();
      },
    });
    await joined;
    await phase(WARMUP, IDLE_GAP_MS);
    const idle = await phase(idleCount, IDLE_GAP_MS);
    const backToBack = await phase(backToBackCount, 0);
    return { send: idle.send, oneHop: idle.hop, backToBack: backToBack.hop };
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no message in ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `requests` echo requests from `concurrency` callers, each issuing its next request when the previous returns. */
async function measureRequests(
  client: RequestClient,
  topic: string,
  handledAt: Map<number, number>,
  requests: number,
  concurrency: number,
): Promise<RunFigures> {
  handledAt.clear();
  const rtt: number[] = [];
  const requestLeg: number[] = [];
  const replyLeg: number[] = [];
  let timeouts = 0;
  let errors = 0;
  let mismatches = 0;
  let next = 0;
  const started = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const seq = next++;
        const data: EchoData = { seq };
        const t0 = now();
        try {
          const reply = await client.request<EchoData, EchoData>(
            topic,
            { key: `call-${seq % 64}`, companyId: 'bench', subject: null, data },
            TIMEOUT_MS,
          );
          const done = now();
          rtt.push(done - t0);
          const handled = handledAt.get(seq);
          if (handled !== undefined) {
            requestLeg.push(handled - t0);
            replyLeg.push(done - handled);
          }
          if (reply.seq !== seq) mismatches++;
        } catch (error) {
          if (error instanceof RequestTimeoutError) timeouts++;
          else {
            errors++;
            benchLogger.error({ err: error, seq }, 'request failed');
          }
        }
      }
    }),
  );
  const elapsed = now() - started;
  return {
    concurrency,
    requests,
    rtt: stats(rtt),
    requestLeg: stats(requestLeg),
    replyLeg: stats(replyLeg),
    requestsPerSec: (rtt.length / elapsed) * 1000, timeouts, errors, mismatches };
}

async function main(): Promise<void> {
  const sequentialN = envInt('BENCH_RR_N', 1000);
  const concurrentN = envInt('BENCH_RR_CONC_N', 2000);
  const hopN = envInt('BENCH_HOP_N', 500);
  printHeader(`request-reply (sequential ${sequentialN}, ${concurrentN} at concurrency ${CONCURRENCY_LEVELS.join('/')}, raw hop ${hopN})`);

  const kafka = createKafka({ brokers: testInfra.kafkaBrokers, clientId: uniqueName('bench-rr'), logger: benchLogger, security: testKafkaSecurity() });
  // Envelope types must look like `domain.event`, hence no underscore in the topic (it is the envelope type).
  const rpcTopic = uniqueName('bench.rpc').replace('_', '-');
  const hopTopic = uniqueName('bench.hop').replace('_', '-');
  const hopGroup = uniqueName('bench-hop');
  const responderGroup = uniqueName('bench-responders');
  const cleanup: (() => Promise<unknown>)[] = [];

  try {
    await createTopics(kafka, [
      { topic: rpcTopic, numPartitions: REQUEST_PARTITIONS },
      { topic: hopTopic, numPartitions: REQUEST_PARTITIONS },
    ]);
    cleanup.push(() => deleteTopics(kafka, [rpcTopic, hopTopic]));
    cleanup.push(() => deleteGroups(kafka, [hopGroup, responderGroup]));

    const hop = await measureRawHop(kafka, hopTopic, hopGroup, hopN, Math.min(hopN, 300));

    // Echo: measures the transport, not the work. Client and responder share the process (and clock), so the
    // handler's timestamp splits each round trip into its request and reply legs.
    const handledAt = new Map<number, number>();
    const responder = new RequestResponder(kafka, {
      groupId: responderGroup,
      topic: rpcTopic,
      logger: benchLogger,
      handler: async (envelope) => {
        handledAt.set((envelope.data as EchoData).seq, now());
        return envelope.data;
      },
    });
    await responder.start();
    cleanup.push(() => responder.stop());

    const client = new RequestClient(kafka, {
      service: 'bench',
      instanceId: uniqueName('i'),
      logger: benchLogger,
      deleteReplyTopicOnStop: true,
    });
    await client.start();
    // the reply group is named after the reply topic, which stop() deletes; the group is left to us
    cleanup.push(async () => {
      await client.stop();
      await deleteGroups(kafka, [client.replyTopic]);
    });

    await measureRequests(client, rpcTopic, handledAt, WARMUP, 1);
    const runs = [await measureRequests(client, rpcTopic, handledAt, sequentialN, 1)];
    for (const concurrency of CONCURRENCY_LEVELS) {
      runs.push(await measureRequests(client, rpcTopic, handledAt, concurrentN, concurrency));
    }

    const result: RequestReplyBenchResult = { hop, runs };
    report(result);
    writeResult(result);
  } finally {
    for (const step of cleanup.reverse()) {
      await step().catch((error: unknown) => console.error('[request-reply] cleanup step failed:', error));
    }
  }
}

function report({ hop, runs }: RequestReplyBenchResult): void {
  console.log(`\nraw kafkajs hop (acks 1, read_uncommitted, maxWait 100 ms), one message at a time:`);
  console.log(statsLine('  send() until ack', hop.send));
  console.log(statsLine(`  one hop, idle consumer (floor)`, hop.oneHop));
  console.log(statsLine('  one hop, back-to-back', hop.backToBack));
  console.log(`\nrequest-reply round trip (echo handler, timeout ${TIMEOUT_MS} ms):`);
  for (const r of runs) {
    console.log(statsLine(`  concurrency ${r.concurrency}: round trip`, r.rtt));
    console.log(statsLine('    request leg (send -> handler)', r.requestLeg));
    console.log(statsLine('    reply leg (handler -> matched)', r.replyLeg));
    console.log(`    ${fmt(r.requestsPerSec, 0)} req/s, timeouts ${r.timeouts}, errors ${r.errors}, mismatched replies ${r.mismatches}`);
  }
  const seq = runs[0].rtt;
  console.log(
    `\nsequential request-reply vs 2x raw hop: p50 ${fmt(seq.p50)} vs ${fmt(2 * hop.oneHop.p50)} ms (x${fmt(seq.p50 / (2 * hop.oneHop.p50), 2)}),` +
      ` p99 ${fmt(seq.p99)} vs ${fmt(2 * hop.oneHop.p99)} ms`,
  );
}

if (require.main === module) runMain('request-reply', main);
