import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SERVICES, ServiceSpec } from './services';

export const ROOT = path.resolve(__dirname, '../..');
const NODE_ARGS = ['-r', '@swc-node/register'];

export interface LaunchOptions {
  /** Prepended to every database name (tests use a throwaway prefix). */
  databasePrefix?: string;
  /** Added to every port (tests run beside a local platform). */
  portOffset?: number;
  env?: NodeJS.ProcessEnv;
  logDir?: string;
  /** Detached processes outlive the launcher (npm start); attached ones are the caller's (tests). */
  detached?: boolean;
}

/**
 * A laptop's key for sync's stored callback secrets (the same one docker-compose uses). Only when none is set:
 * production sets its own from the secret store (k8s/secret.example.yaml).
 */
export const LOCAL_SYNC_SECRETS_KEY = 'bG9jYWwtb25seSBzeW5jIHNlY3JldHMga2V5IDMyIGI=';

export function serviceEnv(spec: ServiceSpec, o: LaunchOptions): NodeJS.ProcessEnv {
  return {
    SYNC_SECRETS_KEY: LOCAL_SYNC_SECRETS_KEY,
    // Receivers on a laptop listen on 127.0.0.1; production leaves this off (no calls into private networks).
    CALLBACK_ALLOW_PRIVATE_URLS: 'true',
    ...process.env,
    ...o.env,
    PORT: String(spec.port + (o.portOffset ?? 0)),
    METRICS_PORT: String(spec.metricsPort + (o.portOffset ?? 0)),
    DB_DATABASE: `${o.databasePrefix ?? ''}${spec.database}`,
    // A caller's own broker (the fault suite's private Kafka) wins over the environment's.
    KAFKA_BROKERS: o.env?.KAFKA_BROKERS ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:19092',
    OTEL_SERVICE_NAME: spec.name,
  };
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...NODE_ARGS, ...args], { cwd: ROOT, env });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** Runs every service's migrations (creating its database first), in parallel. */
export async function migrateAll(o: LaunchOptions = {}, services = SERVICES): Promise<void> {
  const results = await Promise.all(
    services.map((s) => run([`apps/${s.name}/src/migrate.ts`], serviceEnv(s, o)).then((r) => ({ s, ...r }))),
  );
  for (const r of results) {
    process.stdout.write(r.output);
    if (r.code !== 0) throw new Error(`migrations of ${r.s.name} failed (exit ${r.code})`);
  }
}

/** Starts one TypeScript entry point as a process, its output appended to `<logDir>/<name>.log`. */
export function startProcess(name: string, args: string[], env: NodeJS.ProcessEnv, o: LaunchOptions = {}): ChildProcess {
  const logDir = o.logDir ?? path.join(ROOT, '.run/logs');
  fs.mkdirSync(logDir, { recursive: true });
  const log = fs.openSync(path.join(logDir, `${name}.log`), 'a');
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', log, log],
    detached: o.detached ?? false,
  });
  fs.closeSync(log);
  if (o.detached) child.unref();
  return child;
}

/** `logName` tells apart two instances of one service (their logs). */
export function startService(spec: ServiceSpec, o: LaunchOptions = {}, logName = spec.name): ChildProcess {
  return startProcess(
    logName,
    ['-r', './libs/observability/src/instrument.ts', `apps/${spec.name}/src/main.ts`],
    serviceEnv(spec, o),
    o,
  );
}

export async function waitReady(url: string, timeoutMs = 60000): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > timeoutMs) throw new Error(`${url} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
