/**
 * Callback webhook throughput: one company subscribes a local receiver (an HTTP server in this process) to
 * `booking.created`; a burst of BENCH_CALLBACK_N events (default 5 000) is produced as fast as Kafka takes it; a sync
 * process (its own database and consumer groups) turns each into a signed delivery and POSTs it. Measured: deliveries
 * accepted by the receiver per second, the delay from each event's time to its arrival (p50/p95/p99), and that each
 * event arrived exactly once with a valid signature.
 *
 *   node -r @swc-node/register tools/bench/callback-deliveries.ts
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { SyncReply, SyncRequest, Topics } from '@receptionist/contracts';
import { createKafka, RequestClient } from '@receptionist/messaging';
import { startGroupsAtEnd, testInfra, testKafkaSecurity } from '@receptionist/testing';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { verifyCallback } from '../../apps/sync/src/callbacks/callback-signature';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { CALLBACK_TOPICS } from '../../apps/sync/src/callbacks/callback-events.handler';
import { migrateAll, serviceEnv, startProcess, waitReady } from '../platform/launch';
import { SERVICES } from '../platform/services';
import { benchLogger, bookingCreatedMessage, envInt, fmt, printHeader, runMain, sleep, stats, statsLine, writeResult } from './lib';

const N = envInt('BENCH_CALLBACK_N', 5_000);
const PORT_OFFSET = 600;

export interface CallbackBenchResult {
  events: number;
  deliveredPerSecond: number;
  delay: ReturnType<typeof stats>;
  duplicates: number;
  missing: number;
  badSignatures: number;
}

async function main() {
  printHeader(`Callback webhooks: ${N} booking.created → signed POSTs to a subscribed receiver`);
  const run = randomBytes(3).toString('hex');
  const prefix = `bench_${run}_`;
  const companyId = `bench-callbacks-${run}`;
  const spec = SERVICES.find((s) => s.name === 'sync')!;
  const service = `sync-bench-${run}`;

  const arrivals = new Map<string, number[]>();
  const bodies: { id: string; timestamp: string; signature: string; body: string }[] = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      arrivals.set(id, [...(arrivals.get(id) ?? []), Date.now()]);
      bodies.push({ id, timestamp: String(req.headers['webhook-timestamp']), signature: String(req.headers['webhook-signature']), body });
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

  const opts = {
    databasePrefix: prefix,
    portOffset: PORT_OFFSET,
    logDir: path.join(os.tmpdir(), prefix),
    env: { LOG_LEVEL: 'error', BENCH_SERVICE_NAME: service, CALLBACK_ALLOW_PRIVATE_URLS: 'true', CALLBACK_POLL_MS: '100' },
  };
  await migrateAll(opts, [spec]);
  const kafka = createKafka({ brokers: testInfra.kafkaBrokers, clientId: `bench-callbacks-${run}`, logger: benchLogger, security: testKafkaSecurity() });
  await startGroupsAtEnd({ [service]: CALLBACK_TOPICS, [`${service}.${Topics.syncRequest.name}`]: [Topics.syncRequest.name] });
  const child = startProcess('sync-bench', ['-r', './libs/observability/src/instrument.ts', 'tools/bench/sync-service.ts'], serviceEnv(spec, opts), opts);
  const db = new DataSource({ type: 'mysql', ...testInfra.db, database: `${prefix}${spec.database}`, timezone: 'Z' });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const client = new RequestClient(kafka, { service: 'bench-callbacks', instanceId: run, logger: benchLogger, deleteReplyTopicOnStop: true });
  try {
    await waitReady(`http://127.0.0.1:${spec.port + PORT_OFFSET}/health/ready`, 90_000);
    await db.initialize();
    await producer.connect();
    await client.start();
    const request: SyncRequest = { operation: 'subscription.create', companyId, url, events: ['booking.created'] };
    const reply = await client.request<SyncRequest, SyncReply>(Topics.syncRequest.name, { key: companyId, companyId, subject: null, data: request }, 15_000);
    if (!reply.ok) throw new Error(`subscription refused: ${reply.detail}`);
    const secret = (reply.data!.subscription as { secret: string }).secret;

    const startsAt = new Date(Date.now() + 7 * 24 * 3600_000);
    const eventTimes = new Map<string, number>();
    const produceStarted = Date.now();
    for (let i = 0; i < N; i += 500) {
      const messages = Array.from({ length: Math.min(500, N - i) }, () => {
        const { envelope, message } = bookingCreatedMessage(companyId, randomUUID(), '+4917612345678', startsAt);
        eventTimes.set(envelope.id, Date.parse(envelope.time));
        return message;
      });
      await producer.send({ topic: Topics.bookingCreated.name, acks: -1, messages });
    }
    console.log(`produced ${N} events in ${fmt((Date.now() - produceStarted) / 1000, 2)} s`);

    const deadline = Date.now() + 120_000;
    while (arrivals.size < N && Date.now() < deadline) {
      await sleep(500);
      process.stdout.write(`\r  ${arrivals.size}/${N} delivered`);
    }
    await sleep(1000); // a late duplicate would show up here
    process.stdout.write('\n');

    const delays: number[] = [];
    let duplicates = 0;
    let firstEvent = Number.POSITIVE_INFINITY;
    let lastArrival = 0;
    for (const [id, eventAt] of eventTimes) {
      firstEvent = Math.min(firstEvent, eventAt);
      const at = arrivals.get(id);
      if (!at) continue;
      duplicates += at.length - 1;
      delays.push(at[0] - eventAt);
      lastArrival = Math.max(lastArrival, at[0]);
    }
    const badSignatures = bodies.filter((b) => !verifyCallback(secret, b, b.body)).length;
    const seconds = (lastArrival - firstEvent) / 1000;
    const result: CallbackBenchResult = { events: N, deliveredPerSecond: delays.length / seconds, delay: stats(delays), duplicates, missing: N - delays.length, badSignatures };
    console.log(statsLine('event → at the receiver', result.delay));
    console.log(`throughput ${fmt(result.deliveredPerSecond, 0)} deliveries/s (first event → last arrival ${fmt(seconds, 2)} s); missing ${result.missing}, duplicates ${duplicates}, bad signatures ${badSignatures}`);
    writeResult(result);
    if (result.missing || duplicates || badSignatures) process.exitCode = 1;
  } finally {
    await client.stop().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    if (db.isInitialized) await db.destroy();
    receiver.closeAllConnections();
    receiver.close();
    const ds = new DataSource({ type: 'mysql', ...testInfra.db });
    await ds.initialize();
    await ds.query(`DROP DATABASE IF EXISTS \`${prefix}${spec.database}\``);
    await ds.destroy();
    const a = kafka.admin();
    await a.connect();
    await a.deleteGroups([service, `${service}.${Topics.syncRequest.name}`]).catch(() => undefined);
    await a.disconnect();
  }
}

runMain('callback-deliveries', main);
