/**
 * Retell call-webhook ingest through the gateway: signed, verified, durable on Kafka (acks=all) before the 204.
 * Starts a real gateway process on its own database, sends BENCH_WH_N `call_ended` webhooks from
 * BENCH_WH_CONCURRENCY senders over keep-alive connections, then reads the topic back and checks that every
 * acknowledged webhook is there (nothing lost).
 *
 *   node -r @swc-node/register tools/bench/retell-webhooks.ts
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { DataSource } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { createKafka } from '@receptionist/messaging';
import { testInfra, testKafkaSecurity } from '@receptionist/testing';
import { migrateAll, startService, waitReady } from '../platform/launch';
import { SERVICES } from '../platform/services';
import { signLikeRetell as signRetell } from '@receptionist/simulators';
import { benchLogger, envInt, fmt, now, printHeader, stats, statsLine, writeResult, runMain } from './lib';

const N = envInt('BENCH_WH_N', 5000);
const CONCURRENCY = envInt('BENCH_WH_CONCURRENCY', 50);
const PORT_OFFSET = 400;
const API_KEY = 'key_bench_webhooks';
const ADMIN = { email: 'bench@webhooks.test', password: 'bench operator password' };

export interface WebhookBenchResult {
  sent: number;
  concurrency: number;
  perSecond: number;
  latency: ReturnType<typeof stats>;
  onKafka: number;
  lost: number;
}

async function main() {
  printHeader(`Retell webhook ingest: ${N} signed call_ended webhooks, ${CONCURRENCY} concurrent senders`);
  const prefix = `bench_${randomBytes(3).toString('hex')}_`;
  const gateway = SERVICES.find((s) => s.name === 'gateway')!;
  const opts = {
    databasePrefix: prefix,
    portOffset: PORT_OFFSET,
    logDir: path.join(os.tmpdir(), prefix),
    env: { RETELLAI_API_KEY: API_KEY, LOG_LEVEL: 'error', PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password },
  };
  await migrateAll(opts, [gateway]);
  const child = startService(gateway, opts);
  const base = `http://127.0.0.1:${gateway.port + PORT_OFFSET}`;
  const kafka = createKafka({ brokers: testInfra.kafkaBrokers, clientId: 'bench-webhooks', logger: benchLogger, security: testKafkaSecurity() });
  try {
    await waitReady(`${base}/health/ready`, 90000);
    const token = ((await (await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })).json()) as any).token;
    const company = (await (await fetch(`${base}/api/v1/companies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'Bench Salon', timeZone: 'Europe/Berlin', currency: 'EUR', language: 'de' }),
    })).json()) as any;
    const agentId = `agent_bench_${randomBytes(4).toString('hex')}`;
    await fetch(`${base}/api/v1/companies/${company.id}/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ agentId }),
    });

    const admin = kafka.admin();
    await admin.connect();
    const before = await admin.fetchTopicOffsets(Topics.retellCallWebhook.name);

    const run = randomBytes(4).toString('hex');
    const dispatcher = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 30_000 });
    const latencies: number[] = [];
    let next = 0;
    let failures = 0;
    const send = async (i: number) => {
      const body = JSON.stringify({
        event: 'call_ended',
        call: { call_id: `call_${run}_${i}`, agent_id: agentId, call_status: 'ended', direction: 'inbound', from_number: '+491701234567', to_number: '+4930123456', start_timestamp: Date.now() - 60_000, end_timestamp: Date.now(), duration_ms: 60_000, disconnection_reason: 'user_hangup', transcript: 'Agent: Guten Tag. User: Einen Termin bitte.' },
      });
      const t0 = now();
      const res = await request(`${base}/api/webhooks/retell`, { method: 'POST', dispatcher, headers: { 'content-type': 'application/json', 'x-retell-signature': signRetell(body, API_KEY) }, body });
      await res.body.dump();
      latencies.push(now() - t0);
      if (res.statusCode !== 204) failures += 1;
    };
    // warm-up (connections, JIT), not measured
    for (let i = 0; i < 200; i++) await send(-1 - i);
    latencies.length = 0;
    const started = now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) await send(next++);
    }));
    const seconds = (now() - started) / 1000;
    await dispatcher.close();

    const after = await admin.fetchTopicOffsets(Topics.retellCallWebhook.name);
    // Read back what was appended during the run and count this run's distinct calls.
    const seen = new Set<string>();
    const consumer = kafka.consumer({ groupId: `bench-wh-${run}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.retellCallWebhook.name, fromBeginning: true });
    const target = after.reduce((s, p) => s + Number(p.high), 0) - before.reduce((s, p) => s + Number(p.high), 0);
    let read = 0;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 30000);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const start = Number(before.find((p) => p.partition === partition)!.high);
          if (Number(message.offset) < start) return;
          read += 1;
          const key = message.key?.toString() ?? '';
          if (key.startsWith(`call_${run}_`) && !key.startsWith(`call_${run}_-`)) seen.add(key);
          if (read >= target) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    await admin.deleteGroups([`bench-wh-${run}`]).catch(() => undefined);
    await admin.disconnect();

    const s = stats(latencies);
    const result: WebhookBenchResult = { sent: N, concurrency: CONCURRENCY, perSecond: N / seconds, latency: s, onKafka: seen.size, lost: N - failures - seen.size };
    console.log(statsLine(`webhook → 204 (${CONCURRENCY} concurrent)`, s));
    console.log(`throughput ${fmt(result.perSecond, 0)} webhooks/s over ${fmt(seconds, 2)} s; non-204: ${failures}; on Kafka: ${seen.size}/${N - failures} acknowledged (lost: ${result.lost})`);
    writeResult(result);
    if (result.lost !== 0 || failures) process.exitCode = 1;
  } finally {
    child.kill('SIGTERM');
    const ds = new DataSource({ type: 'mysql', ...testInfra.db });
    await ds.initialize();
    await ds.query(`DROP DATABASE IF EXISTS \`${prefix}${gateway.database}\``);
    await ds.destroy();
  }
}

runMain('retell-webhooks', main, 300_000);
