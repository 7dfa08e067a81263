/**
 * Billing usage throughput: a burst of BENCH_BILLING_N `call.completed` events (default 10 000) spread over
 * BENCH_BILLING_COMPANIES companies (default 50) is produced as fast as Kafka takes it; a billing process (its own
 * database and consumer group) debits each call. Measured: debits committed per second end to end (first event
 * produced → last ledger row committed), and the delay from each event's time to its debit being visible in the
 * ledger (p50/p95/p99). Also checks: exactly one debit per call and every balance exact to the cent.
 *
 *   node -r @swc-node/register tools/bench/billing-usage.ts
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { createEnvelope, Topics } from '@receptionist/contracts';
import { createKafka } from '@receptionist/messaging';
import { startGroupsAtEnd, testInfra, testKafkaSecurity } from '@receptionist/testing';
import { migrateAll, startProcess, serviceEnv, waitReady } from '../platform/launch';
import { SERVICES } from '../platform/services';
import { benchLogger, envInt, fmt, printHeader, runMain, sleep, stats, statsLine, writeResult } from './lib';

const N = envInt('BENCH_BILLING_N', 10_000);
const COMPANIES = envInt('BENCH_BILLING_COMPANIES', 50);
const PORT_OFFSET = 600;
const RATE = 12;

export interface BillingBenchResult {
  events: number;
  companies: number;
  debitsPerSecond: number;
  produceSeconds: number;
  delay: ReturnType<typeof stats>;
  duplicates: number;
  missing: number;
  balancesExact: boolean;
}

/** Same rounding as apps/billing/src/usage/rating.ts (per second, half up), kept independent on purpose. */
const expectedCost = (seconds: number) => Math.floor((RATE * seconds * 2 + 60) / 120);

async function main() {
  printHeader(`Billing usage burst: ${N} call.completed over ${COMPANIES} companies → ledger debits`);
  const run = randomBytes(3).toString('hex');
  const prefix = `bench_${run}_`;
  const spec = SERVICES.find((s) => s.name === 'billing')!;
  const service = `billing-bench-${run}`;
  const opts = {
    databasePrefix: prefix,
    portOffset: PORT_OFFSET,
    logDir: path.join(os.tmpdir(), prefix),
    env: { LOG_LEVEL: 'error', BILLING_TEST_SERVICE: service, BILLING_INVOICE_RUN_INTERVAL_MS: '0', DB_POOL_SIZE: '20' },
  };
  await migrateAll(opts, [spec]);
  const kafka = createKafka({ brokers: testInfra.kafkaBrokers, clientId: `bench-billing-${run}`, logger: benchLogger, security: testKafkaSecurity() });
  await startGroupsAtEnd({ [service]: [Topics.callCompleted.name, Topics.billingSetup.name, Topics.stripeEventReceived.name] });
  const child = startProcess('billing-bench', ['apps/billing/test/billing-main.ts'], serviceEnv(spec, opts), opts);
  const db = new DataSource({ type: 'mysql', ...testInfra.db, database: `${prefix}${spec.database}`, timezone: 'Z' });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await waitReady(`http://127.0.0.1:${spec.port + PORT_OFFSET}/health/ready`, 90_000);
    await db.initialize();
    await producer.connect();
    const companies = Array.from({ length: COMPANIES }, (_, i) => `bench-billing-${run}-${i}`);
    await producer.send({
      topic: Topics.billingSetup.name,
      acks: -1,
      messages: companies.map((companyId) => {
        const data = { companyId, revision: `rev-${run}`, currency: 'EUR', pricing: { perMinuteMinor: RATE, perBookingMinor: 0, lowBalanceThresholdMinor: 1000, topUpMinor: 5000, autoTopUp: false } };
        return { key: companyId, value: JSON.stringify(createEnvelope({ type: Topics.billingSetup.name, source: 'bench', companyId, subject: data.revision, data })) };
      }),
    });
    for (let i = 0; ; i++) {
      const [r] = await db.query('SELECT COUNT(*) AS n FROM company_pricing');
      if (Number(r.n) === COMPANIES) break;
      if (i > 300) throw new Error('pricing not applied');
      await sleep(100);
    }
    // A few calls first, so connection pools and JIT are warm.
    const warm = companies.map((c, i) => ({ companyId: c, callId: `warm-${run}-${i}`, seconds: 60 }));
    const calls = Array.from({ length: N }, (_, i) => ({ companyId: companies[i % COMPANIES], callId: `call-${run}-${i}`, seconds: 5 + ((i * 37) % 900) }));
    const eventTimes = new Map<string, number>();
    const send = async (batch: typeof calls) => {
      const ended = new Date();
      await producer.send({
        topic: Topics.callCompleted.name,
        acks: -1,
        messages: batch.map((c) => {
          const envelope = createEnvelope({
            type: Topics.callCompleted.name,
            source: 'bench',
            companyId: c.companyId,
            subject: c.callId,
            data: {
              callId: c.callId, agentId: 'agent_bench', fromNumber: '+4930123456', toNumber: '+4930999999', direction: 'inbound',
              startedAt: new Date(ended.getTime() - c.seconds * 1000).toISOString(), endedAt: ended.toISOString(),
              durationSeconds: c.seconds, billableSeconds: c.seconds, disconnectionReason: 'user_hangup', bookingIds: [],
            },
          });
          eventTimes.set(c.callId, Date.parse(envelope.time));
          return { key: c.callId, value: JSON.stringify(envelope), headers: { 'message-id': envelope.id, 'message-type': envelope.type } };
        }),
      });
    };
    await send(warm);
    for (let i = 0; ; i++) {
      const [r] = await db.query(`SELECT COUNT(*) AS n FROM usage_charge WHERE call_id LIKE 'warm-%'`);
      if (Number(r.n) === warm.length) break;
      if (i > 600) throw new Error('warm-up not debited');
      await sleep(100);
    }

    const started = Date.now();
    for (let i = 0; i < N; i += 500) await send(calls.slice(i, i + 500));
    const produceSeconds = (Date.now() - started) / 1000;
    console.log(`produced ${N} events in ${fmt(produceSeconds, 2)} s`);
    const deadline = Date.now() + 600_000;
    let done = 0;
    for (;;) {
      const [r] = await db.query(`SELECT COUNT(*) AS n FROM usage_charge WHERE call_id LIKE 'call-%'`);
      done = Number(r.n);
      if (done >= N || Date.now() > deadline) break;
      await sleep(250);
    }
    const rows: { reference: string; created_at: Date }[] = await db.query(`SELECT reference, created_at FROM ledger_entry WHERE reference LIKE 'call:call-%'`);
    const seen = new Map<string, number>();
    const delays: number[] = [];
    let last = 0;
    for (const r of rows) {
      const callId = r.reference.split(':')[1];
      seen.set(callId, (seen.get(callId) ?? 0) + 1);
      const committed = new Date(r.created_at).getTime();
      last = Math.max(last, committed);
      delays.push(committed - eventTimes.get(callId)!);
    }
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    const missing = N - seen.size;
    const expectedByCompany = new Map<string, number>();
    for (const c of [...warm, ...calls]) expectedByCompany.set(c.companyId, (expectedByCompany.get(c.companyId) ?? 0) - expectedCost(c.seconds));
    const balances: { company_id: string; b: string }[] = await db.query(
      'SELECT a.company_id, e.balance_after_minor AS b FROM billing_account a JOIN ledger_entry e ON e.company_id = a.company_id AND e.seq = a.last_seq',
    );
    const balancesExact = balances.length === COMPANIES && balances.every((b) => Number(b.b) === expectedByCompany.get(b.company_id));
    const seconds = (last - started) / 1000;
    const result: BillingBenchResult = {
      events: N,
      companies: COMPANIES,
      debitsPerSecond: seen.size / seconds,
      produceSeconds,
      delay: stats(delays),
      duplicates,
      missing,
      balancesExact,
    };
    console.log(statsLine('call.completed → debit visible', result.delay));
    console.log(`${fmt(result.debitsPerSecond, 0)} debits/s end to end; missing ${missing}, duplicates ${duplicates}, balances exact: ${balancesExact}`);
    writeResult(result);
    if (missing || duplicates || !balancesExact) throw new Error(`billing bench: missing ${missing}, duplicates ${duplicates}, balances exact ${balancesExact}`);
  } finally {
    await producer.disconnect().catch(() => undefined);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    if (db.isInitialized) {
      await db.query(`DROP DATABASE IF EXISTS \`${prefix}${spec.database}\``);
      await db.destroy();
    }
  }
}

runMain('billing-usage', main, 900_000);
