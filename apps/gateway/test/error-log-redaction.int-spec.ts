import { spawn, ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Topics } from '@receptionist/contracts';
import { freePort, startGroupsAtEnd, testServiceEnv, waitFor } from '@receptionist/testing';
import { createGatewayDatabase } from './gateway-app';

/**
 * A 500 is logged with what an operator needs (error type, codes, the parameterised query, the trace id) but never
 * with the failed statement's values: the gateway runs as its own process and its real log output (stdout) is read.
 */
jest.setTimeout(90_000);

const EMAIL = `erika.mustermann.${randomBytes(3).toString('hex')}@example.com`;
const NAME = 'Erika Mustermann +4915112345678';

let child: ChildProcess;
let output = '';
let url: string;
let drop: () => Promise<void>;

beforeAll(async () => {
  const db = await createGatewayDatabase();
  drop = db.drop;
  const service = `gateway-test-${randomBytes(3).toString('hex')}`;
  await startGroupsAtEnd({ [service]: [Topics.setupApplied.name, Topics.serviceHeartbeat.name, Topics.balanceExhausted.name, Topics.balanceRestored.name] });
  const port = await freePort();
  const root = path.resolve(__dirname, '../../..');
  child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(root, 'apps/gateway/test/gateway-log-main.ts')], {
    cwd: root,
    env: { ...process.env, ...testServiceEnv(db.database, port), LOG_LEVEL: 'info', GATEWAY_TEST_SERVICE: service, LOG_TEST_EMAIL: EMAIL, LOG_TEST_NAME: NAME, RATE_LIMIT_KEY_PREFIX: `rl-test-${db.database}:` },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/health/ready`).then((r) => r.ok).catch(() => false)) || child.exitCode !== null, { message: 'gateway process ready', timeoutMs: 60_000 });
  expect(child.exitCode).toBeNull();
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await drop?.();
});

it("logs a failed query's 500 without the statement's values (customer data)", async () => {
  const res = await fetch(`${url}/api/v1/log-test/failing-query`);
  expect(res.status).toBe(500);
  const { traceId } = (await res.json()) as { traceId: string };
  const line = await waitFor(() => output.split('\n').find((l) => l.includes('"unhandled error"') && l.includes(traceId)), { message: 'the 500 logged' });
  const logged = JSON.parse(line);
  // What the operator needs is there…
  expect(logged.err).toMatchObject({ type: 'QueryFailedError', code: 'ER_DUP_ENTRY', errno: 1062, query: expect.stringContaining('INSERT INTO app_user') });
  expect(logged.err.message).toMatch(/Duplicate entry '\[redacted\]'/);
  // …the customer's data is nowhere in the process's output.
  for (const secret of [EMAIL, 'erika.mustermann', 'Erika Mustermann', '4915112345678']) expect(output).not.toContain(secret);
});
