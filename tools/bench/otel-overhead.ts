/**
 * What tracing costs the voice functions: runs the voice chain benchmark (voice-chain.ts: check_availability through
 * gateway → Kafka → voice-agent → Kafka → booking and back) twice in fresh processes, once with the OpenTelemetry SDK
 * on and exporting every span over OTLP/HTTP (to the local trace store, tools/traces/store.ts) and once with
 * OTEL_SDK_DISABLED=true, and prints p50/p99 side by side. Prometheus metrics stay on in both runs (prom-client has
 * no switch; an observation is a few hundred nanoseconds).
 *
 *   node -r @swc-node/register tools/bench/otel-overhead.ts        (also part of npm run bench)
 *
 * Knobs: those of voice-chain.ts; BENCH_OTEL_N (hits per level per run, default 300), BENCH_OTEL_MISS_N (default 40).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTraceStore } from '../traces/store';
import type { ChainBenchResult } from './voice-chain';
import { envInt, fmt, printHeader, runMain, writeResult } from './lib';

const ROOT = path.resolve(__dirname, '../..');

export interface OtelOverheadResult {
  rows: { label: string; off: { p50: number; p99: number }; on: { p50: number; p99: number } }[];
  spansExported: number;
}

function runChain(env: NodeJS.ProcessEnv, resultFile: string): Promise<ChainBenchResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'voice-chain.ts')], {
      cwd: ROOT,
      env: { ...process.env, BENCH_CHAIN_N: String(envInt('BENCH_OTEL_N', 300)), BENCH_CHAIN_MISS_N: String(envInt('BENCH_OTEL_MISS_N', 40)), ...env, BENCH_RESULT_FILE: resultFile },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`voice-chain exited ${code}`));
      resolve(JSON.parse(fs.readFileSync(resultFile, 'utf8')) as ChainBenchResult);
    });
  });
}

async function main() {
  printHeader('tracing overhead on the voice function chain (SDK off vs on + OTLP export)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-otel-'));
  const store = await startTraceStore({ port: 0, file: path.join(dir, 'spans.jsonl') });
  try {
    // Off first, then on: the second run profits from warm caches of the broker and the database, if anything.
    console.log('\n--- SDK disabled (OTEL_SDK_DISABLED=true) ---');
    const off = await runChain({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: '' }, path.join(dir, 'off.json'));
    console.log('\n--- SDK enabled, spans exported over OTLP/HTTP ---');
    const on = await runChain({ OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: store.url }, path.join(dir, 'on.json'));
    const spansExported = fs.existsSync(store.file) ? fs.readFileSync(store.file, 'utf8').split('\n').filter(Boolean).length : 0;

    const rows: OtelOverheadResult['rows'] = off.chain.map((o, i) => {
      const n = on.chain[i];
      return { label: `${o.cache}, ${o.concurrency} caller${o.concurrency > 1 ? 's' : ''}`, off: { p50: o.latency.p50, p99: o.latency.p99 }, on: { p50: n.latency.p50, p99: n.latency.p99 } };
    });
    console.log('\ncheck_availability through the chain (ms)   off p50  on p50   off p99  on p99   Δp99');
    for (const r of rows) {
      console.log(
        `${r.label.padEnd(42)}${fmt(r.off.p50).padStart(8)}${fmt(r.on.p50).padStart(8)}${fmt(r.off.p99).padStart(10)}${fmt(r.on.p99).padStart(8)}` +
          `${`${r.on.p99 >= r.off.p99 ? '+' : ''}${fmt(r.on.p99 - r.off.p99)}`.padStart(8)}`,
      );
    }
    console.log(`spans exported in the "on" run: ${spansExported}`);
    writeResult({ rows, spansExported } satisfies OtelOverheadResult);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) runMain('otel-overhead', main, 600_000);
