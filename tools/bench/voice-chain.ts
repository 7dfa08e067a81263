/**
 * check_availability through the whole chain: HTTP → gateway → Kafka → voice-agent → Kafka → booking → Redis
 * cache (or Cal.com simulator on a miss) → back, at 1, 10 and 50 concurrent callers; next to two floors measured
 * in the same run: the same function called in-process without Kafka (voice-agent's responder calling booking's
 * handler directly), and a raw kafkajs produce → consume hop on the same broker.
 *
 *   node -r @swc-node/register tools/bench/voice-chain.ts        (also part of npm run bench)
 *
 * Knobs: BENCH_CHAIN_N (hits per concurrency level, default 400), BENCH_CHAIN_MISS_N (misses, default 60).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { Agent, request } from 'undici';
import { createEnvelope, Topics, type Envelope } from '@receptionist/contracts';
import { createKafka, MessageProducer, NO_REPLY } from '@receptionist/messaging';
import { calcomSimulator, signLikeRetell, startSimulator } from '@receptionist/simulators';
import { testInfra, testKafkaSecurity } from '@receptionist/testing';
// The in-process floor composes two services in one process, which only a benchmark may do.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBooking } from '../../apps/booking/test/booking-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startVoiceAgent } from '../../apps/voice-agent/test/voice-agent-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { BookingRequestsHandler } from '../../apps/booking/src/requests/booking-requests.handler';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { VoiceFunctionsResponder } from '../../apps/voice-agent/src/functions/voice-functions.responder';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { BookingClient } from '../../apps/voice-agent/src/booking/booking.client';
import { migrateAll, startService, waitReady } from '../platform/launch';
import { SERVICES } from '../platform/services';
import { measureRawHop } from './request-reply';
import { benchLogger, envInt, fmt, now, printHeader, runMain, stats, statsLine, writeResult, type Stats } from './lib';

const HITS = envInt('BENCH_CHAIN_N', 400);
const MISSES = envInt('BENCH_CHAIN_MISS_N', 60);
const PORT_OFFSET = 500;
const RETELL_KEY = 'key_bench_chain';
const ADMIN = { email: 'bench@chain.test', password: 'bench operator password' };
const HAIRCUT_EVENT_TYPE = 1002; // Cal.com simulator default seed: Haarschnitt, Tue–Fri 10–18, Sat 09–13

export interface ChainBenchResult {
  chain: { concurrency: number; cache: 'hit' | 'miss'; latency: Stats; perSecond: number; missRatio: number }[];
  inProcess: { hit: Stats; miss: Stats };
  rawHop: Stats;
  /** (chain p50 − in-process p50 − plain HTTP p50) / 4 hops, against the raw hop p50. */
  perHopMs: number;
  httpFloor: Stats;
}

function bookingSetup(companyId: string) {
  return {
    companyId,
    revision: `bench-${randomBytes(3).toString('hex')}`,
    timeZone: 'Europe/Berlin',
    language: 'de',
    calcomTeamSlug: null,
    services: [{ key: 'haarschnitt', name: 'Haarschnitt', aliases: ['Herrenschnitt'], calcomEventTypeId: HAIRCUT_EVENT_TYPE, durationMinutes: 45, priceMinor: 3900, active: true }],
    staff: [],
    branches: [],
    openingHours: { tue: [['10:00', '18:00']], wed: [['10:00', '18:00']], thu: [['10:00', '18:00']], fri: [['10:00', '18:00']], sat: [['09:00', '13:00']] },
    policies: { minNoticeMinutes: 60, cancellationNoticeHours: 24, maxReschedules: 2, bookingHorizonDays: 60 },
  };
}

/** Open weekdays (Tue–Fri) from the day after tomorrow, as dd.mm.yyyy, for distinct cache keys. */
function openDays(count: number): string[] {
  const days: string[] = [];
  const d = new Date(Date.now() + 2 * 86400000);
  while (days.length < count) {
    if ([2, 3, 4, 5].includes(d.getUTCDay())) days.push(`${String(d.getUTCDate()).padStart(2, '0')}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${d.getUTCFullYear()}`);
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return days;
}

async function publishSetup(producer: MessageProducer, doc: ReturnType<typeof bookingSetup>) {
  await producer.publish({
    topic: Topics.bookingSetup.name,
    key: doc.companyId,
    envelope: createEnvelope({ type: Topics.bookingSetup.name, source: 'gateway', companyId: doc.companyId, subject: doc.revision, data: doc }),
  });
}

async function runConcurrent(n: number, concurrency: number, one: (i: number) => Promise<void>): Promise<{ latency: number[]; seconds: number }> {
  const latency: number[] = [];
  let next = 0;
  const started = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const t0 = now();
        await one(i);
        latency.push(now() - t0);
      }
    }),
  );
  return { latency, seconds: (now() - started) / 1000 };
}

/** Floor 1: voice-agent's responder and booking's handler in this process, booking asked by a direct call. */
async function inProcessFloor(calcomUrl: string, producer: MessageProducer, redis: Redis) {
  const companyId = randomUUID();
  const booking = await startBooking({ CALCOM_BASE_URL: calcomUrl, LOG_LEVEL: 'error' }, { companies: [companyId] });
  const voice = await startVoiceAgent({ LOG_LEVEL: 'error' }, { companies: [companyId] });
  try {
    const handler = booking.app.get(BookingRequestsHandler);
    const responder = voice.app.get(VoiceFunctionsResponder);
    const client = voice.app.get(BookingClient);
    // No Kafka between the two: the client hands the request straight to booking's handler.
    client.ask = async (req, deadline) => {
      const reply = await handler.onRequest(createEnvelope({ type: Topics.bookingRequest.name, source: 'voice-agent', companyId: req.companyId, subject: null, data: req }) as Envelope, deadline);
      if (reply === NO_REPLY) throw new Error('booking does not serve the bench company');
      return reply;
    };
    await publishSetup(producer, bookingSetup(companyId));
    const days = openDays(MISSES + 1);
    const ask = async (day: string) => {
      const reply = await responder.onRequest(
        createEnvelope({
          type: Topics.voiceFunctionCall.name,
          source: 'gateway',
          companyId,
          subject: null,
          data: {
            function: 'check_availability',
            callId: `call_${randomBytes(6).toString('hex')}`,
            args: { dienstleistung: 'Haarschnitt', datum: day, uhrzeit: '11:00' },
            call: null,
            company: { id: companyId, name: 'Bench Salon', timeZone: 'Europe/Berlin', language: 'de', currency: 'EUR', branchId: null },
            fromNumber: '+491701234567',
            toNumber: '+4930123456',
          },
        }) as Envelope,
        Date.now() + 8000,
      );
      if (reply === NO_REPLY) throw new Error('voice-agent does not serve the bench company');
      return reply;
    };
    // the set-up is applied asynchronously: wait until the service is known
    for (let i = 0; ; i++) {
      const reply = await ask(days[0]);
      if (reply.success) break;
      if (i > 100) throw new Error(`in-process floor: set-up not applied (${reply.code})`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const hit = await runConcurrent(HITS, 1, async () => void (await ask(days[0])));
    const miss = await runConcurrent(MISSES, 1, async (i) => {
      await redis.incr(`booking:avail:v:${companyId}:${HAIRCUT_EVENT_TYPE}`);
      await ask(days[1 + i]);
    });
    return { hit: stats(hit.latency), miss: stats(miss.latency) };
  } finally {
    await voice.close();
    await booking.close();
  }
}

async function cacheCounts(bookingUrl: string): Promise<{ hit: number; miss: number }> {
  const text = await (await fetch(`${bookingUrl}/metrics`)).text(); // booking's METRICS_PORT
  const sum = (result: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith('booking_availability_cache_lookups_total') && l.includes(`result="${result}"`))
      .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
  return { hit: sum('hit'), miss: sum('miss') };
}

async function main() {
  printHeader(`check_availability through the chain: ${HITS} cache hits per level (1/10/50 callers), ${MISSES} misses`);
  const calcom = await startSimulator(calcomSimulator, { port: 0 });
  const kafka = createKafka({ brokers: testInfra.kafkaBrokers, clientId: 'bench-chain', logger: benchLogger, security: testKafkaSecurity() });
  const producer = new MessageProducer(kafka);
  await producer.connect();
  const redis = new Redis({ host: testInfra.redis.host, port: testInfra.redis.port });

  const floor = await inProcessFloor(calcom.url, producer, redis);
  console.log(statsLine('in-process, cache hit (no Kafka)', floor.hit));
  console.log(statsLine('in-process, cache miss (Cal.com sim)', floor.miss));

  const topic = `bench.chain.hop.${randomBytes(3).toString('hex')}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
  const hop = await measureRawHop(kafka, topic, `bench-chain-hop-${randomBytes(3).toString('hex')}`, 300, 0);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  console.log(statsLine('raw kafkajs hop (floor)', hop.oneHop));

  const prefix = `bench_${randomBytes(3).toString('hex')}_`;
  const chainServices = SERVICES.filter((s) => ['gateway', 'voice-agent', 'booking'].includes(s.name));
  const opts = {
    databasePrefix: prefix,
    portOffset: PORT_OFFSET,
    logDir: path.join(os.tmpdir(), prefix),
    env: {
      LOG_LEVEL: 'error',
      CALCOM_BASE_URL: calcom.url,
      RETELLAI_API_KEY: RETELL_KEY,
      PLATFORM_ADMIN_EMAIL: ADMIN.email,
      PLATFORM_ADMIN_PASSWORD: ADMIN.password,
      RATE_LIMIT_VOICE: '100000',
      RATE_LIMIT_KEY_PREFIX: `rl-${prefix}`,
      OTEL_SDK_DISABLED: process.env.OTEL_SDK_DISABLED ?? 'false',
    },
  };
  await migrateAll(opts, chainServices);
  const children = chainServices.map((s) => startService(s, opts));
  const base = `http://127.0.0.1:${3000 + PORT_OFFSET}`;
  const bookingUrl = `http://127.0.0.1:${SERVICES.find((s) => s.name === 'booking')!.metricsPort + PORT_OFFSET}`;
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  try {
    await Promise.all(chainServices.map((s) => waitReady(`http://127.0.0.1:${s.port + PORT_OFFSET}/health/ready`, 120000)));
    const json = async (method: string, url: string, body?: unknown, token?: string) => {
      const res = await fetch(`${base}${url}`, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await res.json()) as any;
    };
    const token = (await json('POST', '/api/v1/auth/login', ADMIN)).token;
    const company = await json('POST', '/api/v1/companies', { name: 'Bench Salon', timeZone: 'Europe/Berlin', currency: 'EUR', language: 'de' }, token);
    const agentId = `agent_bench_${randomBytes(4).toString('hex')}`;
    await json('POST', `/api/v1/companies/${company.id}/agents`, { agentId }, token);
    await publishSetup(producer, bookingSetup(company.id));

    const days = openDays(MISSES + 1);
    const check = async (day: string) => {
      const body = JSON.stringify({
        call: { call_id: `call_${randomBytes(6).toString('hex')}`, agent_id: agentId, from_number: '+491701234567', to_number: '+4930123456' },
        args: { dienstleistung: 'Haarschnitt', datum: day, uhrzeit: '11:00' },
      });
      const res = await request(`${base}/api/retell/check-availability`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json', 'x-retell-signature': signLikeRetell(body, RETELL_KEY) },
        body,
      });
      const reply = (await res.body.json()) as any;
      if (res.statusCode !== 200 || !reply.success) throw new Error(`check_availability failed: ${res.statusCode} ${reply.code ?? ''}`);
    };
    for (let i = 0; ; i++) {
      try {
        await check(days[0]);
        break;
      } catch (error) {
        if (i > 100) throw error;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    // Plain HTTP floor: the gateway's own public health route, same connections.
    const http = await runConcurrent(HITS, 1, async () => {
      const res = await request(`${base}/api/health`, { dispatcher });
      await res.body.dump();
    });
    console.log(statsLine('HTTP only (gateway /api/health)', stats(http.latency)));

    const chain: ChainBenchResult['chain'] = [];
    for (const concurrency of [1, 10, 50]) {
      for (let i = 0; i < 50; i++) await check(days[0]); // warm-up
      const before = await cacheCounts(bookingUrl);
      const run = await runConcurrent(HITS, concurrency, () => check(days[0]));
      const after = await cacheCounts(bookingUrl);
      const missRatio = (after.miss - before.miss) / Math.max(1, after.miss - before.miss + after.hit - before.hit);
      chain.push({ concurrency, cache: 'hit', latency: stats(run.latency), perSecond: HITS / run.seconds, missRatio });
      console.log(statsLine(`chain, cache hit, ${concurrency} callers`, stats(run.latency)) + `  ${fmt(HITS / run.seconds, 0)}/s`);
    }
    for (const concurrency of [1, 10]) {
      const before = await cacheCounts(bookingUrl);
      const run = await runConcurrent(MISSES, concurrency, async (i) => {
        await redis.incr(`booking:avail:v:${company.id}:${HAIRCUT_EVENT_TYPE}`);
        await check(days[1 + (i % MISSES)]);
      });
      const after = await cacheCounts(bookingUrl);
      const missRatio = (after.miss - before.miss) / Math.max(1, after.miss - before.miss + after.hit - before.hit);
      chain.push({ concurrency, cache: 'miss', latency: stats(run.latency), perSecond: MISSES / run.seconds, missRatio });
      console.log(statsLine(`chain, cache miss, ${concurrency} callers`, stats(run.latency)) + `  (${fmt(missRatio * 100, 0)} % misses)`);
    }

    const seqHit = chain[0].latency.p50;
    const httpFloor = stats(http.latency);
    const perHopMs = (seqHit - floor.hit.p50 - httpFloor.p50) / 4;
    console.log(
      `\nper Kafka hop in the chain (sequential hit): (${fmt(seqHit)} − ${fmt(floor.hit.p50)} in-process − ${fmt(httpFloor.p50)} HTTP) / 4 = ${fmt(perHopMs, 2)} ms` +
        ` vs raw hop p50 ${fmt(hop.oneHop.p50, 2)} ms → ×${fmt(perHopMs / hop.oneHop.p50, 2)} (target ≤ 1.5)`,
    );
    const hit10 = chain.find((c) => c.cache === 'hit' && c.concurrency === 10)!;
    console.log(`cache hit at 10 callers: p99 ${fmt(hit10.latency.p99)} ms (target < 50 ms)`);
    writeResult({ chain, inProcess: floor, rawHop: hop.oneHop, perHopMs, httpFloor } satisfies ChainBenchResult);
  } finally {
    await dispatcher.close();
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    await producer.disconnect();
    await admin.disconnect();
    redis.disconnect();
    await calcom.close();
    const ds = new DataSource({ type: 'mysql', ...testInfra.db });
    await ds.initialize();
    for (const s of chainServices) await ds.query(`DROP DATABASE IF EXISTS \`${prefix}${s.database}\``);
    await ds.destroy();
  }
}

if (require.main === module) runMain('voice-chain', main, 300_000);
