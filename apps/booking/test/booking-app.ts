import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { BookingReply, BookingRequest, Topics } from '@receptionist/contracts';
import { RequestClient } from '@receptionist/messaging';
import { bootstrapService } from '@receptionist/service-runtime';
import { createTestDatabase, freePort, silentLogger, startGroupsAtEnd, testKafka, testServiceEnv, uniqueName, withEnv } from '@receptionist/testing';
import { AppModule } from '../src/app.module';
import { bookingEnvSchema } from '../src/config';
import { bookingEntities } from '../src/entities';
import { migrations } from '../src/migrations';

/**
 * Boots the booking service in-process for integration tests (as main.ts does) against the real MariaDB,
 * Redis and Kafka, on a throwaway database. Reusable by other apps' tests:
 *
 *   const booking = await startBooking({ CALCOM_BASE_URL: sim.url }, { companies: [companyId] });
 *   … send company.setup.booking / ask booking.request …
 *   await booking.close();
 *
 * Each instance runs under its own service name (so its consumer groups are its own) and starts reading its
 * topics at their current end, so it neither replays old commands nor steals another instance's. `companies`
 * (ids, or prefixes ending in `*`) restricts what it answers, so parallel test files on the shared broker do not
 * answer each other's requests; leave it out to serve every company.
 */
export interface TestBooking {
  app: NestFastifyApplication;
  url: string;
  database: string;
  /** The unique service name of this instance (envelope `source` of what it publishes). */
  service: string;
  close: () => Promise<void>;
}

export interface StartBookingOptions {
  /** Share one database between instances; without it a throwaway one is created and dropped on close. */
  database?: string;
  /** Companies this instance answers for (BOOKING_SERVE_COMPANIES). */
  companies?: string[];
}

/** A throwaway booking database with booking's migrations. */
export async function createBookingDatabase(): Promise<{ database: string; drop: () => Promise<void> }> {
  const db = await createTestDatabase('booking', { entities: bookingEntities, migrations });
  await db.dataSource.destroy();
  return { database: db.database, drop: db.drop };
}

export async function startBooking(extraEnv: Record<string, string> = {}, options: StartBookingOptions = {}): Promise<TestBooking> {
  const own = options.database ? undefined : await createBookingDatabase();
  const database = options.database ?? own!.database;
  const port = await freePort();
  const service = `booking-test-${randomBytes(3).toString('hex')}`;
  await startGroupsAtEnd({
    [service]: [Topics.bookingSetup.name, Topics.calcomBookingChanged.name, Topics.callbackPromised.name, Topics.callCompleted.name],
    [`${service}.${Topics.bookingRequest.name}`]: [Topics.bookingRequest.name],
    [`${service}.${Topics.calendarRequest.name}`]: [Topics.calendarRequest.name],
  });
  const env: Record<string, string> = {
    ...testServiceEnv(database, port),
    ...(options.companies?.length ? { BOOKING_SERVE_COMPANIES: options.companies.join(',') } : {}),
    ...extraEnv,
  };
  const app: NestFastifyApplication = await withEnv(env, () => bootstrapService(service, (ctx) => AppModule.forRoot(ctx), bookingEnvSchema));
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    database,
    service,
    close: async () => {
      await app.close();
      await own?.drop();
    },
  };
}

/**
 * booking as a separate process that a test can `kill -9`, on `database` (migrated), answering `companies`. Resolves
 * once it is ready (health/ready), its groups starting at the topics' current end.
 */
export async function spawnBooking(database: string, extraEnv: Record<string, string>, options: { companies: string[] }): Promise<{ child: ChildProcess; service: string; exited: Promise<number | null> }> {
  const port = await freePort();
  const service = `booking-test-${randomBytes(3).toString('hex')}`;
  await startGroupsAtEnd({
    [service]: [Topics.bookingSetup.name, Topics.calcomBookingChanged.name],
    [`${service}.${Topics.bookingRequest.name}`]: [Topics.bookingRequest.name],
    [`${service}.${Topics.calendarRequest.name}`]: [Topics.calendarRequest.name],
  });
  const root = path.resolve(__dirname, '../../..');
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(root, 'apps/booking/test/booking-main.ts')], {
    cwd: root,
    env: { ...process.env, ...testServiceEnv(database, port), BOOKING_SERVE_COMPANIES: options.companies.join(','), BOOKING_TEST_SERVICE: service, ...extraEnv },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const until = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`booking process exited with ${child.exitCode}`);
    if (await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok).catch(() => false)) break;
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error('booking process not ready in 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, service, exited };
}

/** A request client on `booking.request`, as voice-agent uses it. `ask` resolves with booking's reply. */
export interface BookingRequester {
  client: RequestClient;
  ask: (request: BookingRequest, timeoutMs?: number) => Promise<BookingReply>;
  stop: () => Promise<void>;
}

export async function startBookingRequester(): Promise<BookingRequester> {
  const client = new RequestClient(testKafka(), {
    service: 'booking-test-requester',
    instanceId: uniqueName('r'),
    logger: silentLogger,
    deleteReplyTopicOnStop: true,
  });
  await client.start();
  return {
    client,
    ask: (request, timeoutMs = 10_000) =>
      client.request<BookingRequest, BookingReply>(
        Topics.bookingRequest.name,
        { key: request.companyId, companyId: request.companyId, subject: request.callId ?? null, data: request },
        timeoutMs,
      ),
    stop: () => client.stop(),
  };
}
