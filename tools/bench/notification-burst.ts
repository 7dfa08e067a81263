/**
 * Notification throughput: a burst of BENCH_NOTIFY_N `booking.created` events (default 10 000) for one company is
 * produced as fast as Kafka takes it; a notification process (its own database and consumer group) turns each into
 * a confirmation plus two stored reminders and hands the confirmation to the Twilio simulator (in this process,
 * status callbacks off). Measured: messages accepted by Twilio per second over the burst, and the delay from each
 * event's time to its message arriving at Twilio (p50/p95/p99). Also checks each customer got exactly one message.
 *
 *   node -r @swc-node/register tools/bench/notification-burst.ts
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { createEnvelope, Topics } from '@receptionist/contracts';
import { createKafka } from '@receptionist/messaging';
import { startSimulator, twilioSimulator } from '@receptionist/simulators';
import { startGroupsAtEnd, testInfra, testKafkaSecurity } from '@receptionist/testing';
import { migrateAll, startProcess, serviceEnv, waitReady } from '../platform/launch';
import { SERVICES } from '../platform/services';
import { benchLogger, bookingCreatedMessage, envInt, fmt, printHeader, sleep, stats, statsLine, writeResult, runMain } from './lib';

const N = envInt('BENCH_NOTIFY_N', 10_000);
const PORT_OFFSET = 500;
const SID = `AC${randomBytes(16).toString('hex')}`;

export interface NotificationBenchResult {
  events: number;
  sentPerSecond: number;
  produceSeconds: number;
  delay: ReturnType<typeof stats>;
  duplicates: number;
  missing: number;
}

async function main() {
  printHeader(`Notification burst: ${N} booking.created → confirmations via the Twilio simulator`);
  const run = randomBytes(3).toString('hex');
  const prefix = `bench_${run}_`;
  const companyId = `bench-notify-${run}`;
  const spec = SERVICES.find((s) => s.name === 'notification')!;
  const sim = await startSimulator(twilioSimulator, { port: 0 });
  sim.state.statusCallbacks = false;
  /** Accepted messages per recipient, with the time each reached the simulator. */
  const arrivals = () => {
    const map = new Map<string, number[]>();
    for (const m of sim.state.outbound()) map.set(m.to, [...(map.get(m.to) ?? []), m.dateCreated.getTime()]);
    return map;
  };

  const opts = {
    databasePrefix: prefix,
    portOffset: PORT_OFFSET,
    logDir: path.join(os.tmpdir(), prefix),
    env: {
      LOG_LEVEL: 'error',
      TWILIO_SID: SID,
      TWILIO_AUTH_TOKEN: 'bench-token',
      TWILIO_FROM_NUMBER: '+4930555000111',
      TWILIO_API_BASE: sim.url,
      NOTIFICATION_SERVE_COMPANIES: companyId,
      BENCH_SERVICE_NAME: `notification-bench-${run}`,
    },
  };
  await migrateAll(opts, [spec]);
  const kafka = createKafka({ brokers: testInfra.kafkaBrokers, clientId: `bench-notify-${run}`, logger: benchLogger, security: testKafkaSecurity() });
  // The bench group starts at the topics' end: commit their current ends before the service joins.
  await startGroupsAtEnd({ [opts.env.BENCH_SERVICE_NAME]: [Topics.bookingCreated.name, Topics.notificationSetup.name] });
  // BENCH_NOTIFY_PROFILE=<dir> writes a CPU profile of the notification process there.
  const profile = process.env.BENCH_NOTIFY_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_NOTIFY_PROFILE}`] : [];
  const child = startProcess('notification-bench', [...profile, '-r', './libs/observability/src/instrument.ts', 'tools/bench/notification-service.ts'], serviceEnv(spec, opts), opts);
  const db = new DataSource({ type: 'mysql', ...testInfra.db, database: `${prefix}${spec.database}`, timezone: 'Z' });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await waitReady(`http://127.0.0.1:${spec.port + PORT_OFFSET}/health/ready`, 90_000);
    await db.initialize();
    await producer.connect();
    const revision = `rev-${run}`;
    const setup = createEnvelope({
      type: Topics.notificationSetup.name,
      source: 'bench',
      companyId,
      subject: revision,
      data: {
        companyId,
        revision,
        companyName: 'Bench Salon',
        timeZone: 'Europe/Berlin',
        language: 'de',
        settings: { channels: ['sms'], confirmation: true, remindersMinutesBefore: [1440, 60], senderId: null, quietHours: ['21:00', '08:00'] },
      },
    });
    await producer.send({ topic: Topics.notificationSetup.name, acks: -1, messages: [{ key: companyId, value: JSON.stringify(setup) }] });
    for (let i = 0; ; i++) {
      if ((await db.query('SELECT 1 FROM company_notification_settings WHERE company_id = ?', [companyId])).length) break;
      if (i > 300) throw new Error('settings not applied');
      await sleep(100);
    }

    // Appointments in a week, at 14:00 Berlin time: the reminders are stored, not due.
    const startsAt = new Date(Date.now() + 7 * 24 * 3600_000);
    startsAt.setUTCHours(13, 0, 0, 0);
    const numbers = Array.from({ length: N }, (_, i) => `+4917${String(100000000 + i)}`);
    const eventTimes = new Map<string, number>();
    const produceStarted = Date.now();
    const chunk = 500;
    for (let i = 0; i < N; i += chunk) {
      const messages = numbers.slice(i, i + chunk).map((to) => {
        const appointmentId = `appt-${run}-${to}`;
        const { envelope, message } = bookingCreatedMessage(companyId, appointmentId, to, startsAt);
        eventTimes.set(to, Date.parse(envelope.time));
        return message;
      });
      await producer.send({ topic: Topics.bookingCreated.name, acks: -1, messages });
    }
    const produceSeconds = (Date.now() - produceStarted) / 1000;
    console.log(`produced ${N} events in ${fmt(produceSeconds, 2)} s`);

    const deadline = Date.now() + 600_000;
    let last = -1;
    while (sim.state.outbound().length < N && Date.now() < deadline) {
      await sleep(500);
      const count = sim.state.outbound().length;
      if (count !== last) {
        last = count;
        process.stdout.write(`\r  ${count}/${N} at Twilio`);
      }
    }
    await sleep(1000); // a late duplicate would show up here
    process.stdout.write('\n');

    const received = arrivals();
    const delays: number[] = [];
    let duplicates = 0;
    let lastArrival = 0;
    let firstEvent = Number.POSITIVE_INFINITY;
    for (const to of numbers) {
      const at = received.get(to);
      const eventAt = eventTimes.get(to)!;
      firstEvent = Math.min(firstEvent, eventAt);
      if (!at) continue;
      duplicates += at.length - 1;
      delays.push(at[0] - eventAt);
      lastArrival = Math.max(lastArrival, at[0]);
    }
    const seconds = (lastArrival - firstEvent) / 1000;
    // Where the time goes: how fast the consumer stored the messages (confirmation + reminders per event).
    const [span] = await db.query(
      "SELECT COUNT(*) AS n, TIMESTAMPDIFF(MICROSECOND, MIN(created_at), MAX(created_at)) / 1e6 AS s FROM notification_message WHERE kind = 'confirmation'",
    );
    console.log(`consumer stored ${span.n} confirmations (+ reminders) in ${fmt(Number(span.s), 2)} s (${fmt(Number(span.n) / Number(span.s), 0)} events/s)`);
    const result: NotificationBenchResult = {
      events: N,
      sentPerSecond: delays.length / seconds,
      produceSeconds,
      delay: stats(delays),
      duplicates,
      missing: N - delays.length,
    };
    console.log(statsLine('event → accepted by Twilio', result.delay));
    console.log(`throughput ${fmt(result.sentPerSecond, 0)} messages/s handed to Twilio (first event → last send ${fmt(seconds, 2)} s); missing ${result.missing}, duplicates ${duplicates}`);
    writeResult(result);
    if (result.missing || duplicates) process.exitCode = 1;
  } finally {
    await producer.disconnect().catch(() => undefined);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    if (db.isInitialized) await db.destroy();
    await sim.close();
    const ds = new DataSource({ type: 'mysql', ...testInfra.db });
    await ds.initialize();
    await ds.query(`DROP DATABASE IF EXISTS \`${prefix}${spec.database}\``);
    await ds.destroy();
    const a = kafka.admin();
    await a.connect();
    await a.deleteGroups([opts.env.BENCH_SERVICE_NAME]).catch(() => undefined);
    await a.disconnect();
  }
}

runMain('notification-burst', main, 300_000);
