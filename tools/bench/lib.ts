/** Shared helpers for the benchmark scripts: statistics, formatting, env knobs, result hand-off to run.ts. */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import pino from 'pino';
import { createEnvelope, Topics } from '@receptionist/contracts';

/** Monotonic milliseconds (sub-ms resolution); only differences are meaningful. */
export const now = (): number => performance.now();

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Logs at `error` by default so library retries stay quiet; BENCH_LOG_LEVEL=warn shows relay/kafkajs warnings. */
export const benchLogger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'error' }, pino.destination({ dest: 2, sync: true }));

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

export interface Stats {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles over latencies in ms. */
export function stats(samples: number[]): Stats {
  if (samples.length === 0) return { count: 0, min: NaN, mean: NaN, p50: NaN, p95: NaN, p99: NaN, max: NaN };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  return {
    count: sorted.length,
    min: sorted[0],
    mean: sorted.reduce((s, v) => s + v, 0) / sorted.length,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: sorted[sorted.length - 1],
  };
}

export const fmt = (ms: number, digits = 1): string => (Number.isFinite(ms) ? ms.toFixed(digits) : '-');

/** One aligned line: `label  n=…  min … p50 … p95 … p99 … max … ms`. */
export function statsLine(label: string, s: Stats): string {
  return (
    `${label.padEnd(38)} n=${String(s.count).padEnd(5)} min ${fmt(s.min).padStart(7)}  p50 ${fmt(s.p50).padStart(7)}` +
    `  p95 ${fmt(s.p95).padStart(7)}  p99 ${fmt(s.p99).padStart(7)}  max ${fmt(s.max).padStart(7)} ms`
  );
}

export function printHeader(title: string): void {
  const [l1, l5] = os.loadavg();
  console.log(`\n=== ${title} ===`);
  console.log(`host: ${os.cpus().length} cpu, load avg ${l1.toFixed(2)} / ${l5.toFixed(2)} (1/5 min), node ${process.version}`);
}

/** run.ts passes BENCH_RESULT_FILE; the script writes its figures there as JSON for the summary table. */
export function writeResult(result: unknown): void {
  const file = process.env.BENCH_RESULT_FILE;
  if (file) writeFileSync(file, JSON.stringify(result, null, 2));
}

/** Removes consumer groups the benchmark created, so repeated runs leave no empty groups behind. */
export async function deleteGroups(kafka: Kafka, groupIds: string[]): Promise<void> {
  if (groupIds.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups(groupIds).catch(() => undefined);
  await admin.disconnect();
}

/**
 * Runs `main`, then exits: 0 on success, 1 on error. A watchdog exits with 2 if the whole run overshoots
 * `hardLimitMs` (e.g. a broker that stopped answering), so a benchmark never hangs a terminal or CI job.
 */
export function runMain(name: string, main: () => Promise<void>, hardLimitMs = 170_000): void {
  const watchdog = setTimeout(() => {
    console.error(`[${name}] did not finish within ${hardLimitMs / 1000} s; exiting`);
    process.exit(2);
  }, hardLimitMs);
  watchdog.unref();
  // Exits as soon as main is done: a client left connected (a Kafka admin, a pool) must not keep the run idling.
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      console.error(`[${name}] failed:`, error);
      process.exit(1);
    },
  );
}

/**
 * A `booking.created` as booking publishes it (a 30-minute Haarschnitt in Berlin), ready for `producer.send`: the
 * envelope (for its id and time) and the Kafka message.
 */
export function bookingCreatedMessage(companyId: string, appointmentId: string, phone: string, startsAt: Date) {
  const envelope = createEnvelope({
    type: Topics.bookingCreated.name,
    source: 'bench',
    companyId,
    subject: appointmentId,
    data: {
      appointmentId,
      calcomBookingUid: null,
      serviceId: 'svc',
      serviceName: 'Haarschnitt',
      staffId: null,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 30 * 60_000).toISOString(),
      timeZone: 'Europe/Berlin',
      customer: { customerId: randomUUID(), name: 'Max Muster', phone, email: null, language: 'de' },
      callId: null,
    },
  });
  return { envelope, message: { key: appointmentId, value: JSON.stringify(envelope), headers: { 'message-id': envelope.id, 'message-type': envelope.type } } };
}
