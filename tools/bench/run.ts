/**
 * Runs every benchmark in its own process (fresh connections, pools and heap; one cannot skew the next),
 * one after the other, then prints a compact summary table.
 *
 *   node -r @swc-node/register tools/bench/run.ts          (npm run bench)
 *
 * The scripts' own env knobs (BENCH_N, BENCH_RR_N, ...) pass through. Exit code 1 if any benchmark failed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fmt, type Stats } from './lib';
import type { OutboxBenchResult } from './outbox-latency';
import type { RequestReplyBenchResult } from './request-reply';
import type { AdminApiBenchResult } from './admin-api';
import type { WebhookBenchResult } from './retell-webhooks';
import type { ChainBenchResult } from './voice-chain';
import type { NotificationBenchResult } from './notification-burst';
import type { UnderstandingBenchResult } from './understanding';
import type { BillingBenchResult } from './billing-usage';
import type { OtelOverheadResult } from './otel-overhead';
import type { CallbackBenchResult } from './callback-deliveries';
import type { SelfServiceBenchResult } from './self-service';
import type { RetentionBenchResult } from './messaging-retention';
import type { PlanCloseBenchResult } from './plan-period-close';

const ROOT = path.resolve(__dirname, '../..');
const BENCHMARKS = ['outbox-latency', 'request-reply', 'admin-api', 'retell-webhooks', 'voice-chain', 'notification-burst', 'understanding', 'billing-usage', 'otel-overhead', 'callback-deliveries', 'messaging-retention', 'self-service', 'plan-period-close'] as const;
type BenchName = (typeof BENCHMARKS)[number];

interface Outcome {
  name: BenchName;
  code: number | null;
  seconds: number;
  result?: unknown;
}

function runScript(name: BenchName, resultFile: string): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, `${name}.ts`)], {
      cwd: ROOT, // the tsconfig path aliases resolve from the repository root
      env: { ...process.env, BENCH_RESULT_FILE: resultFile },
      stdio: 'inherit',
    });
    const finish = (code: number | null) => {
      let result: unknown;
      try {
        result = JSON.parse(readFileSync(resultFile, 'utf8'));
      } catch {
        result = undefined; // the script failed before writing its figures
      }
      resolve({ name, code, seconds: (Date.now() - started) / 1000, result });
    };
    child.on('exit', finish);
    child.on('error', (error) => {
      console.error(`[bench] could not start ${name}:`, error);
      finish(1);
    });
  });
}

function row(label: string, s: Stats, rate = ''): string {
  const cells = [s.p50, s.p95, s.p99, s.max].map((v) => fmt(v).padStart(8)).join('');
  return `${label.padEnd(44)}${String(s.count).padStart(6)}${cells}   ${rate}`.trimEnd();
}

function printSummary(outcomes: Outcome[]): void {
  console.log('\n=== benchmark summary (latencies in ms) ===');
  console.log(`${'measurement'.padEnd(44)}${'n'.padStart(6)}${['p50', 'p95', 'p99', 'max'].map((h) => h.padStart(8)).join('')}   rate`);
  const notes: string[] = [];
  for (const o of outcomes) {
    if (!o.result) {
      console.log(`${o.name.padEnd(44)} FAILED (exit ${o.code}), no figures`);
      continue;
    }
    if (o.name === 'outbox-latency') {
      const r = o.result as OutboxBenchResult;
      console.log(row(`outbox commit->consumed, sequential`, r.sequential.latency.total));
      console.log(
        row(
          `outbox commit->consumed, burst x${r.burst.writers} writers`,
          r.burst.latency.total,
          `${fmt(r.burst.endToEndMsgsPerSec, 0)} msgs/s end-to-end (commits ${fmt(r.burst.commitMsgsPerSec, 0)}/s)`,
        ),
      );
      notes.push(
        `outbox: missing ${r.sequential.missing + r.burst.missing}, duplicates ${r.duplicates}, relay leader after ${fmt(r.relayStartupMs, 0)} ms`,
      );
    } else if (o.name === 'admin-api') {
      const r = o.result as AdminApiBenchResult;
      for (const run of r.runs) {
        console.log(row(`admin API GET (token), concurrency ${run.concurrency}`, run.latency, `${fmt(run.requestsPerSec, 0)} req/s`));
      }
      notes.push(
        `admin API: auth + rate limit = ${r.runs.map((run) => `${fmt((run.authShare + run.rateLimitShare) * 100)} %`).join(' / ')}` +
          ` of gateway request time at concurrency ${r.runs.map((run) => run.concurrency).join(' / ')}` +
          ` (auth ${r.runs.map((run) => `${fmt(run.authShare * 100)} %`).join(' / ')}, limiter ${r.runs.map((run) => `${fmt(run.rateLimitShare * 100)} %`).join(' / ')})`,
      );
    } else if (o.name === 'voice-chain') {
      const r = o.result as ChainBenchResult;
      console.log(row('check_availability in-process (no Kafka), hit', r.inProcess.hit));
      for (const c of r.chain) console.log(row(`check_availability chain, ${c.cache}, ${c.concurrency} callers`, c.latency, `${fmt(c.perSecond, 0)}/s`));
      notes.push(`voice chain: per Kafka hop ${fmt(r.perHopMs, 2)} ms vs raw hop p50 ${fmt(r.rawHop.p50, 2)} ms (x${fmt(r.perHopMs / r.rawHop.p50, 2)})`);
    } else if (o.name === 'notification-burst') {
      const r = o.result as NotificationBenchResult;
      console.log(row(`booking.created -> SMS at Twilio, burst of ${r.events}`, r.delay, `${fmt(r.sentPerSecond, 0)} msgs/s`));
      notes.push(`notifications: missing ${r.missing}, duplicates ${r.duplicates}`);
    } else if (o.name === 'understanding') {
      const r = o.result as UnderstandingBenchResult;
      notes.push(
        `understanding: parser ${fmt(r.phrasesPerSecond, 0)} phrases/s (${fmt(r.microsPerPhrase, 1)} µs), alternatives ${fmt(r.microsPerAlternatives, 1)} µs` +
          (r.share === null ? '' : `; ${fmt(r.share * 100, 2)} % of a check_availability round trip (p50 ${fmt(r.voiceFunctionP50Ms!)} ms)`),
      );
    } else if (o.name === 'billing-usage') {
      const r = o.result as BillingBenchResult;
      console.log(row(`call.completed -> debit visible, burst of ${r.events}`, r.delay, `${fmt(r.debitsPerSecond, 0)} debits/s`));
      notes.push(`billing: missing ${r.missing}, duplicates ${r.duplicates}, balances exact ${r.balancesExact}`);
    } else if (o.name === 'callback-deliveries') {
      const r = o.result as CallbackBenchResult;
      console.log(row(`booking.created -> signed callback at the receiver, burst of ${r.events}`, r.delay, `${fmt(r.deliveredPerSecond, 0)} deliveries/s`));
      notes.push(`callbacks: missing ${r.missing}, duplicates ${r.duplicates}, bad signatures ${r.badSignatures}`);
    } else if (o.name === 'messaging-retention') {
      const r = o.result as RetentionBenchResult;
      notes.push(
        `messaging tables: ${r.messages} messages in ${fmt(r.seconds, 0)} s (${fmt(r.perSecond, 0)}/s), retention ${r.retentionMs} ms: ` +
          `outbox_message at most ${r.maxOutboxRows} rows (${r.finalOutboxRows} at the end), processed_message at most ${r.maxProcessedRows} (${r.finalProcessedRows})`,
      );
    } else if (o.name === 'self-service') {
      const r = o.result as SelfServiceBenchResult;
      for (const q of r.queries) {
        console.log(row(`${q.label}, floor (booking in-process)`, q.floor));
        console.log(row(`${q.label}, API`, q.api, `${q.rows} rows; p99 target < ${r.targetP99Ms} ms: ${q.api.p99 < r.targetP99Ms ? 'ok' : 'OVER'}`));
      }
      notes.push(`self-service: ${r.appointments} appointments and ${r.customers} customers per company (two companies), seeded in ${fmt(r.seedSeconds, 0)} s`);
    } else if (o.name === 'plan-period-close') {
      const r = o.result as PlanCloseBenchResult;
      notes.push(
        `plan period close, ${r.companies} companies (${r.postpaid} postpaid with overage): ${fmt(r.seconds, 2)} s and ${r.stripeRequests} Stripe requests; ` +
          `floor ${fmt(r.floorSeconds, 2)} s and ${r.floorStripeRequests} requests (bulk UPDATE ${fmt(r.bulkUpdateMs, 0)} ms + raw requests 8 at a time, p50 ${fmt(r.rawStripeP50Ms, 2)} ms); items exact ${r.itemsExact}`,
      );
    } else if (o.name === 'otel-overhead') {
      const r = o.result as OtelOverheadResult;
      notes.push(
        `tracing overhead (SDK on + OTLP export vs off), check_availability p99: ` +
          r.rows.map((x) => `${x.label} ${fmt(x.off.p99)} → ${fmt(x.on.p99)} ms`).join('; '),
      );
    } else if (o.name === 'retell-webhooks') {
      const r = o.result as WebhookBenchResult;
      console.log(row(`Retell webhook -> 204 (durable), ${r.concurrency} senders`, r.latency, `${fmt(r.perSecond, 0)} webhooks/s`));
      notes.push(`webhooks: ${r.onKafka}/${r.sent} on Kafka, lost ${r.lost}`);
    } else {
      const r = o.result as RequestReplyBenchResult;
      console.log(row('raw kafkajs hop (floor, idle consumer)', r.hop.oneHop));
      for (const run of r.runs) {
        console.log(row(`request-reply round trip, concurrency ${run.concurrency}`, run.rtt, `${fmt(run.requestsPerSec, 0)} req/s`));
      }
      const seq = r.runs[0].rtt;
      const timeouts = r.runs.reduce((n, run) => n + run.timeouts, 0);
      const errors = r.runs.reduce((n, run) => n + run.errors, 0);
      const twoHops = 2 * r.hop.oneHop.p50;
      notes.push(
        `request-reply: sequential p50 ${fmt(seq.p50)} ms = x${fmt(seq.p50 / twoHops, 2)} of 2 raw hops (${fmt(twoHops)} ms);` +
          ` timeouts ${timeouts}, errors ${errors}`,
      );
    }
  }
  for (const note of notes) console.log(note);
  console.log(outcomes.map((o) => `${o.name} ${o.code === 0 ? 'ok' : `exit ${o.code}`} in ${fmt(o.seconds, 0)} s`).join(', '));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const outcomes: Outcome[] = [];
  try {
    for (const name of BENCHMARKS) outcomes.push(await runScript(name, path.join(dir, `${name}.json`)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printSummary(outcomes);
  process.exit(outcomes.every((o) => o.code === 0) ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error('[bench] failed:', error);
  process.exit(1);
});
