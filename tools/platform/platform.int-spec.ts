import { ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { testInfra, uniqueName } from '@receptionist/testing';
import { ROOT, migrateAll, startService, waitReady } from './launch';
import { SERVICES } from './services';

jest.setTimeout(180000);

const PORT_OFFSET = 200; // beside a platform started with npm start

describe('the six services together', () => {
  const prefix = `${uniqueName('t_platform')}_`;
  const children = new Map<string, ChildProcess>();

  afterAll(async () => {
    for (const c of children.values()) if (c.exitCode === null) c.kill('SIGKILL');
    const admin = new DataSource({ type: 'mysql', ...testInfra.db });
    await admin.initialize();
    for (const s of SERVICES) await admin.query(`DROP DATABASE IF EXISTS \`${prefix}${s.database}\``);
    await admin.destroy();
  });

  it('migrate, become ready with database, Redis and Kafka, serve metrics, and exit 0 on SIGTERM', async () => {
    const opts = { databasePrefix: prefix, portOffset: PORT_OFFSET, logDir: path.join(os.tmpdir(), prefix) };
    await migrateAll(opts);
    for (const s of SERVICES) children.set(s.name, startService(s, opts));
    await Promise.all(SERVICES.map((s) => waitReady(`http://127.0.0.1:${s.port + PORT_OFFSET}/health/ready`, 120000)));

    for (const s of SERVICES) {
      const base = `http://127.0.0.1:${s.port + PORT_OFFSET}`;
      const ready: any = await (await fetch(`${base}/health/ready`)).json();
      expect(ready).toMatchObject({ status: 'ready', service: s.name });
      expect(ready.checks.database.ok && ready.checks.redis.ok && ready.checks['kafka.producer'].ok).toBe(true);
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      // Metrics on their own port only, never on the API port (the gateway's is public).
      const metrics = await (await fetch(`http://127.0.0.1:${s.metricsPort + PORT_OFFSET}/metrics`)).text();
      expect(metrics).toContain('http_server_request_duration_seconds_bucket');
      expect(metrics).toContain(`service="${s.name}"`);
      expect((await fetch(`${base}/metrics`)).status).toBe(404);
    }
    expect((await fetch(`http://127.0.0.1:${3000 + PORT_OFFSET}/api/health`)).status).toBe(200);

    const exits = await Promise.all(
      [...children.values()].map(
        (c) =>
          new Promise<number | null>((resolve) => {
            c.once('exit', (code) => resolve(code));
            c.kill('SIGTERM');
          }),
      ),
    );
    expect(exits).toEqual(SERVICES.map(() => 0));
  });

  it('refuses to start without a required variable, naming it and nothing secret', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '3999', KAFKA_BROKERS: testInfra.kafkaBrokers.join(','), DB_PASSWORD: 'hunter2-secret', STRIPE_API_BASE: 'not a url' };
    delete env.DB_DATABASE;
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/billing/src/main.ts'], { cwd: ROOT, env });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/DB_DATABASE: is required but not set/);
    expect(stderr).toMatch(/STRIPE_API_BASE/);
    expect(stderr).not.toContain('hunter2-secret');
  });
});
