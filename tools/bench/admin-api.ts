/**
 * Authenticated admin-API throughput through the gateway, and the share of request time spent in
 * authentication and rate limiting.
 *
 *   node -r @swc-node/register tools/bench/admin-api.ts          (part of npm run bench)
 *
 * Boots the gateway as its own process (as deploy/start.sh does, OpenTelemetry instrumentation included) on a
 * throwaway database against the real MariaDB, Redis and Kafka, signs in the platform admin, creates a company,
 * a company admin and five branches, signs in as that user, then sends `GET /api/v1/companies/:id/branches`
 * with the user's token from one keep-alive connection per concurrent client (undici), at each concurrency level.
 * The general limit is raised via RATE_LIMIT_GENERAL so the limiter decides every request but never refuses one.
 *
 * Share: the gateway records every auth-guard and limiter step in gateway_auth_duration_seconds and
 * gateway_rate_limit_duration_seconds; /metrics is read before and after each level, and
 * share = Δ(sum of both) / Δ(sum of http_server_request_duration_seconds for the route) (server-side time,
 * onRequest to onResponse).
 *
 * Env: BENCH_ADMIN_N (requests at concurrency 1, 2000), BENCH_ADMIN_CONC_N (requests at concurrency 10, 5000),
 * BENCH_ADMIN_OTEL=0 (start the gateway without the OpenTelemetry preload), BENCH_LOG_LEVEL.
 */
import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { Agent, request } from 'undici';
import { testInfra, uniqueName, freePort } from '@receptionist/testing';
import { envInt, fmt, now, printHeader, runMain, sleep, stats, writeResult, type Stats } from './lib';

const ROOT = path.resolve(__dirname, '../..');
const ROUTE = '/api/v1/companies/:companyId/branches';
const ADMIN = { email: 'bench-admin@bench.test', password: 'bench admin password 1' };
const OWNER = { email: 'owner@bench.test', password: 'bench owner password 1' };
const WARMUP = 300;

export interface AdminApiRun {
  concurrency: number;
  requests: number;
  errors: number;
  seconds: number;
  requestsPerSec: number;
  /** Client-observed latency, ms. */
  latency: Stats;
  /** Server-side means per request, ms. */
  serverMeanMs: number;
  authMeanMs: number;
  rateLimitMeanMs: number;
  /** (auth + rate limit) / server request time. */
  authShare: number;
  rateLimitShare: number;
}

export interface AdminApiBenchResult {
  route: string;
  otel: boolean;
  runs: AdminApiRun[];
}

function node(args: string[], env: NodeJS.ProcessEnv, stdio: 'inherit' | 'ignore' = 'ignore'): ChildProcess {
  return spawn(process.execPath, ['-r', '@swc-node/register', ...args], { cwd: ROOT, env, stdio: ['ignore', stdio, 'inherit'] });
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

async function waitReady(url: string, child: ChildProcess, timeoutMs = 90_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode} before it was ready`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

async function call(base: string, method: string, p: string, body?: unknown, token?: string): Promise<any> {
  const res = await fetch(base + p, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => undefined);
  if (res.status >= 300) throw new Error(`${method} ${p} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

/** Sums of the series we need from the Prometheus text of /metrics. */
async function scrape(base: string): Promise<{ auth: number; authCount: number; limit: number; limitCount: number; http: number; httpCount: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const sum = (prefix: string, filter?: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(prefix) && (!filter || l.includes(filter)))
      .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  const route = `route="${ROUTE}"`;
  return {
    auth: sum('gateway_auth_duration_seconds_sum'),
    authCount: sum('gateway_auth_duration_seconds_count'),
    limit: sum('gateway_rate_limit_duration_seconds_sum'),
    limitCount: sum('gateway_rate_limit_duration_seconds_count'),
    http: sum('http_server_request_duration_seconds_sum', route),
    httpCount: sum('http_server_request_duration_seconds_count', route),
  };
}

async function load(url: string, token: string, concurrency: number, total: number) {
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 30_000, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  const worker = async () => {
    while (next < total) {
      next++;
      const started = now();
      try {
        const res = await request(url, { method: 'GET', headers, dispatcher: agent });
        await res.body.dump();
        if (res.statusCode !== 200) errors++;
        else latencies.push(now() - started);
      } catch {
        errors++;
      }
    }
  };
  const started = now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (now() - started) / 1000;
  await agent.close();
  return { latencies, errors, seconds };
}

async function main(): Promise<void> {
  const levels: [number, number][] = [
    [1, envInt('BENCH_ADMIN_N', 2000)],
    [10, envInt('BENCH_ADMIN_CONC_N', 5000)],
  ];
  const otel = process.env.BENCH_ADMIN_OTEL !== '0';
  printHeader('admin API through the gateway (auth + rate limit)');
  const database = uniqueName('bench_gateway').toLowerCase();
  const port = await freePort();
  const metricsPort = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const metricsBase = `http://127.0.0.1:${metricsPort}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    APP_ENV: 'local',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
    HOST: '127.0.0.1',
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
    DB_HOST: testInfra.db.host,
    DB_PORT: String(testInfra.db.port),
    DB_USERNAME: testInfra.db.username,
    DB_PASSWORD: testInfra.db.password,
    DB_DATABASE: database,
    KAFKA_BROKERS: testInfra.kafkaBrokers.join(','),
    REDIS_HOST: testInfra.redis.host,
    REDIS_PORT: String(testInfra.redis.port),
    PLATFORM_ADMIN_EMAIL: ADMIN.email,
    PLATFORM_ADMIN_PASSWORD: ADMIN.password,
    // Every request is decided by the limiter, none refused.
    RATE_LIMIT_GENERAL: '100000',
    RATE_LIMIT_KEY_PREFIX: `bench:${database}`,
    PLATFORM_HEALTH_KEY: `bench:${database}:heartbeats`,
    OTEL_SERVICE_NAME: 'gateway',
  };

  const migrate = node(['apps/gateway/src/migrate.ts'], env, 'ignore');
  const migrated = await exited(migrate);
  if (migrated !== 0) throw new Error(`gateway migrations failed (exit ${migrated})`);
  const gateway = node([...(otel ? ['-r', './libs/observability/src/instrument.ts'] : []), 'apps/gateway/src/main.ts'], env);
  const result: AdminApiBenchResult = { route: ROUTE, otel, runs: [] };
  try {
    await waitReady(`${base}/health/ready`, gateway);
    const admin = (await call(base, 'POST', '/api/v1/auth/login', ADMIN)).token as string;
    const company = await call(base, 'POST', '/api/v1/companies', { name: 'Bench Salon', timeZone: 'Europe/Berlin', currency: 'EUR', language: 'de' }, admin);
    await call(base, 'POST', `/api/v1/companies/${company.id}/users`, { ...OWNER, name: 'Owner', role: 'company_admin' }, admin);
    const token = (await call(base, 'POST', '/api/v1/auth/login', OWNER)).token as string;
    for (let i = 1; i <= 5; i++) await call(base, 'POST', `/api/v1/companies/${company.id}/branches`, { name: `Branch ${i}` }, token);
    const url = `${base}/api/v1/companies/${company.id}/branches`;
    const check = await call(base, 'GET', `/api/v1/companies/${company.id}/branches`, undefined, token);
    console.log(`gateway pid ${gateway.pid}, OpenTelemetry ${otel ? 'on' : 'off'}; GET ${ROUTE} returns ${JSON.stringify(check).length} bytes`);
    await load(url, token, 10, WARMUP);

    for (const [concurrency, total] of levels) {
      const before = await scrape(metricsBase);
      const run = await load(url, token, concurrency, total);
      const after = await scrape(metricsBase);
      const d = (k: keyof typeof before) => after[k] - before[k];
      const served = d('httpCount') || 1;
      result.runs.push({
        concurrency,
        requests: run.latencies.length,
        errors: run.errors,
        seconds: run.seconds,
        requestsPerSec: run.latencies.length / run.seconds,
        latency: stats(run.latencies),
        serverMeanMs: (d('http') / served) * 1000,
        authMeanMs: (d('auth') / (d('authCount') || 1)) * 1000,
        rateLimitMeanMs: (d('limit') / (d('limitCount') || 1)) * 1000,
        authShare: d('http') > 0 ? d('auth') / d('http') : NaN,
        rateLimitShare: d('http') > 0 ? d('limit') / d('http') : NaN,
      });
    }
  } finally {
    gateway.kill('SIGTERM');
    await Promise.race([exited(gateway), sleep(20_000)]);
    const ds = new DataSource({ type: 'mysql', ...testInfra.db });
    await ds.initialize();
    await ds.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await ds.destroy();
  }

  console.log(`\nGET ${ROUTE} with a personal access token (latencies ms, client side)`);
  console.log(['conc', 'requests', 'err', 'req/s', 'p50', 'p95', 'p99', 'server', 'auth', 'limit', 'auth %', 'limit %', 'both %'].map((h, i) => (i === 0 ? h.padEnd(5) : h.padStart(9))).join(''));
  for (const r of result.runs) {
    const cells = [
      String(r.requests),
      String(r.errors),
      fmt(r.requestsPerSec, 0),
      fmt(r.latency.p50, 2),
      fmt(r.latency.p95, 2),
      fmt(r.latency.p99, 2),
      fmt(r.serverMeanMs, 3),
      fmt(r.authMeanMs, 3),
      fmt(r.rateLimitMeanMs, 3),
      fmt(r.authShare * 100),
      fmt(r.rateLimitShare * 100),
      fmt((r.authShare + r.rateLimitShare) * 100),
    ];
    console.log(String(r.concurrency).padEnd(5) + cells.map((c) => c.padStart(9)).join(''));
  }
  console.log('server/auth/limit: mean ms per request inside the gateway; shares are of the server-side request time.');
  writeResult(result);
  if (result.runs.some((r) => r.errors > 0)) throw new Error('some requests failed');
}

if (require.main === module) runMain('admin-api', main, 300_000);
