/**
 * The self-service API on a busy company: listing a week of appointments and searching customers, for a company
 * with 100,000 appointments (two years, ≈ 960 a week) and 50,000 customers, seeded straight into booking's
 * database with bulk inserts (beside a second company of the same size, so every query must keep to its company).
 *
 *   node -r @swc-node/register tools/bench/self-service.ts        (also part of npm run bench)
 *
 * Two figures per query, measured in the same run:
 * - floor: booking's request handler called in this process (the database work and the views, no Kafka, no HTTP);
 * - through the API: `GET /api/v1/companies/:id/appointments?from&to&limit=100` and `…/customers?q=` with a
 *   company admin's token → gateway (auth, limits) → Kafka request-reply → booking → back.
 * Target (issue 16): p99 < 50 ms for both.
 *
 * The services talk over a Kafka broker of the benchmark's own (PrivateKafka): on a shared broker, any other booking
 * instance (another version, another run) could answer the requests and the figure would not be ours.
 *
 * Knobs: BENCH_SS_N (requests per query, default 300), BENCH_SS_APPOINTMENTS (100000), BENCH_SS_CUSTOMERS (50000).
 */
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createEnvelope, Topics, type Envelope } from '@receptionist/contracts';
import { MessageProducer, NO_REPLY, ensureTopics } from '@receptionist/messaging';
import { PrivateKafka, testInfra, testKafkaOn } from '@receptionist/testing';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBooking } from '../../apps/booking/test/booking-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { BookingRequestsHandler } from '../../apps/booking/src/requests/booking-requests.handler';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { sendSetup, setupDoc } from '../../apps/booking/test/fixtures';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startGateway, type TestGateway } from '../../apps/gateway/test/gateway-app';
import { envInt, fmt, now, printHeader, runMain, stats, statsLine, writeResult, type Stats } from './lib';

const N = envInt('BENCH_SS_N', 300);
const APPOINTMENTS = envInt('BENCH_SS_APPOINTMENTS', 100_000);
const CUSTOMERS = envInt('BENCH_SS_CUSTOMERS', 50_000);
const WEEK_MS = 7 * 86_400_000;
const SPAN_WEEKS = 104;
const TARGET_P99_MS = 50;

const FIRST = ['Anna', 'Ben', 'Clara', 'David', 'Emma', 'Felix', 'Greta', 'Hans', 'Ida', 'Jonas', 'Klara', 'Lukas', 'Mia', 'Noah', 'Olga', 'Paul', 'Rosa', 'Simon', 'Tilda', 'Uwe', 'Vera', 'Willi', 'Xenia', 'Yusuf', 'Zoe'];
const LAST = ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Koch', 'Richter', 'Klein', 'Wolf', 'Schröder', 'Neumann', 'Schwarz', 'Braun', 'Hofmann', 'Zimmermann', 'Krüger', 'Hartmann', 'Lange', 'Werner', 'Krause', 'Lehmann', 'Köhler', 'Maier', 'Walter', 'König'];

export interface SelfServiceQuery {
  label: string;
  floor: Stats;
  api: Stats;
  rows: number;
}

export interface SelfServiceBenchResult {
  appointments: number;
  customers: number;
  targetP99Ms: number;
  seedSeconds: number;
  queries: SelfServiceQuery[];
}

/** Bulk-inserts one company's customers and appointments (one service, in batches of 2,000 rows). */
async function seed(db: DataSource, companyId: string, serviceId: string, start: number): Promise<void> {
  const customerIds: string[] = [];
  for (let offset = 0; offset < CUSTOMERS; offset += 2000) {
    const rows: unknown[] = [];
    const values: string[] = [];
    for (let i = offset; i < Math.min(CUSTOMERS, offset + 2000); i++) {
      const id = randomUUID();
      customerIds.push(id);
      const name = `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}${i >= FIRST.length * LAST.length ? `-${Math.floor(i / (FIRST.length * LAST.length))}` : ''}`;
      values.push('(?, ?, ?, ?, ?, ?, NOW(3), NOW(3))');
      rows.push(id, companyId, `+4915${String(10_000_000 + i).padStart(9, '0')}`, name, `kunde${i}@example.com`, 'de');
    }
    await db.query(`INSERT INTO customer (id, company_id, phone, name, email, language, created_at, updated_at) VALUES ${values.join(',')}`, rows);
  }
  const stepMs = (SPAN_WEEKS * WEEK_MS) / APPOINTMENTS;
  for (let offset = 0; offset < APPOINTMENTS; offset += 2000) {
    const rows: unknown[] = [];
    const values: string[] = [];
    for (let i = offset; i < Math.min(APPOINTMENTS, offset + 2000); i++) {
      const startsAt = new Date(start + Math.floor(i * stepMs));
      const status = i % 20 === 0 ? 'cancelled' : startsAt.getTime() < Date.now() ? (i % 25 === 0 ? 'no_show' : 'completed') : 'booked';
      values.push("(?, ?, ?, NULL, ?, NULL, 1001, NULL, ?, ?, 'Europe/Berlin', ?, ?, ?, NOW(3), NOW(3))");
      rows.push(randomUUID(), companyId, serviceId, customerIds[i % customerIds.length], startsAt, new Date(startsAt.getTime() + 30 * 60_000), status, i % 3 === 0 ? 'staff' : 'phone', `bench-${i}`);
    }
    await db.query(
      `INSERT INTO appointment (id, company_id, service_id, staff_id, customer_id, call_id, calcom_event_type_id, calcom_booking_uid, starts_at, ends_at, time_zone, status, source, idempotency_key, created_at, updated_at) VALUES ${values.join(',')}`,
      rows,
    );
  }
}

/** A company with an admin signed in (as an owner would start), through the API. */
async function tenant(gw: TestGateway, platform: string, name: string): Promise<{ companyId: string; admin: string }> {
  const company = await gw.call('POST', '/api/v1/companies', { token: platform, body: { name, timeZone: 'Europe/Berlin' } });
  const email = `admin-${randomUUID().slice(0, 8)}@bench.test`;
  const password = 'bench company admin password';
  const user = await gw.call('POST', `/api/v1/companies/${company.body.id}/users`, { token: platform, body: { email, name: `${name} admin`, password, role: 'company_admin' } });
  if (company.status !== 201 || user.status !== 201) throw new Error(`set-up of ${name} failed: ${company.status} ${user.status}`);
  return { companyId: company.body.id, admin: (await gw.call('POST', '/api/v1/auth/login', { body: { email, password } })).body.token };
}

async function measure(n: number, one: (i: number) => Promise<number>): Promise<{ latency: number[]; rows: number }> {
  const latency: number[] = [];
  let rows = 0;
  for (let i = 0; i < n; i++) {
    const t0 = now();
    rows = await one(i);
    latency.push(now() - t0);
  }
  return { latency, rows };
}

async function main(): Promise<void> {
  printHeader(`self-service API: ${APPOINTMENTS} appointments, ${CUSTOMERS} customers per company`);
  // On a busy machine a free port can be taken before the broker binds it: one more try on other ports.
  let kafka = new PrivateKafka();
  try {
    await kafka.start();
  } catch {
    await kafka.destroy();
    kafka = new PrivateKafka();
    await kafka.start();
  }
  await ensureTopics(testKafkaOn(kafka.brokers));
  const KAFKA_BROKERS = kafka.brokers.join(',');
  const gw = await startGateway({ KAFKA_BROKERS, PLATFORM_ADMIN_EMAIL: 'bench@self-service.test', PLATFORM_ADMIN_PASSWORD: 'bench self-service password', RATE_LIMIT_GENERAL: '100000', LOG_LEVEL: 'error' });
  const platform = (await gw.call('POST', '/api/v1/auth/login', { body: { email: 'bench@self-service.test', password: 'bench self-service password' } })).body.token;
  const praxis = await tenant(gw, platform, 'Bench Praxis');
  const other = await tenant(gw, platform, 'Bench Nachbar');
  // the company's own line: national numbers typed by staff are read in its country
  const line = await gw.call('POST', `/api/v1/companies/${praxis.companyId}/phone-numbers`, { token: platform, body: { number: `+4930${Math.floor(10_000_000 + Math.random() * 89_999_999)}` } });
  if (line.status !== 201) throw new Error(`phone number: ${line.status}`);
  const booking = await startBooking({ KAFKA_BROKERS, LOG_LEVEL: 'error' }, { companies: [praxis.companyId, other.companyId] });
  const db = new DataSource({ type: 'mariadb', host: testInfra.db.host, port: testInfra.db.port, username: testInfra.db.username, password: testInfra.db.password, database: booking.database });
  await db.initialize();
  const producer = new MessageProducer(testKafkaOn(kafka.brokers));
  await producer.connect();
  try {
    for (const companyId of [praxis.companyId, other.companyId]) await sendSetup(producer, setupDoc(companyId));
    const serviceOf = async (companyId: string): Promise<string> => {
      for (let i = 0; i < 300; i++) {
        const [row] = await db.query('SELECT id FROM service WHERE company_id = ? AND `key` = ?', [companyId, 'beratung']);
        if (row) return row.id as string;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('set-up not applied');
    };
    const start = Date.now() - (SPAN_WEEKS / 2) * WEEK_MS;
    const seeded = now();
    for (const companyId of [praxis.companyId, other.companyId]) await seed(db, companyId, await serviceOf(companyId), start);
    await db.query('ANALYZE TABLE customer, appointment');
    const seedSeconds = (now() - seeded) / 1000;
    console.log(`seeded 2 × (${CUSTOMERS} customers, ${APPOINTMENTS} appointments) in ${fmt(seedSeconds)} s`);

    const handler = booking.app.get(BookingRequestsHandler);
    const ask = async (data: Record<string, unknown>) => {
      const reply = await handler.onRequest(createEnvelope({ type: Topics.bookingRequest.name, source: 'gateway', companyId: praxis.companyId, subject: null, data: { companyId: praxis.companyId, callId: null, ...data } }) as Envelope);
      if (reply === NO_REPLY) throw new Error('booking does not serve the bench company');
      if (!reply.ok) throw new Error(`booking refused: ${reply.code} ${reply.detail}`);
      return reply.data!;
    };
    const api = async (path: string) => {
      const res = await gw.call('GET', `/api/v1/companies/${praxis.companyId}${path}`, { token: praxis.admin });
      if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body as { data: unknown[] };
    };
    const week = (i: number) => {
      const from = new Date(start + ((i * 7) % (SPAN_WEEKS - 1)) * WEEK_MS);
      return { from: from.toISOString(), to: new Date(from.getTime() + WEEK_MS).toISOString() };
    };
    const words = (i: number) => LAST[i % LAST.length];
    /** The seeded numbers are +4915 followed by 010000000 + n: a prefix names a few hundred of them, a longer one a few. */
    const digitsOf = (i: number) => String(10_000_000 + ((i * 97) % CUSTOMERS)).padStart(9, '0');
    const phonePrefix = (i: number) => `+4915${digitsOf(i).slice(0, 5)}`;
    const nationalNumber = (i: number) => `015${digitsOf(i).slice(0, 7)}`;
    const queries: { label: string; floor: (i: number) => Promise<number>; api: (i: number) => Promise<number> }[] = [
      {
        label: 'a week of appointments, first page of 100',
        floor: async (i) => ((await ask({ operation: 'appointments.search', ...week(i), limit: 100 })).appointments as unknown[]).length,
        api: async (i) => (await api(`/appointments?from=${encodeURIComponent(week(i).from)}&to=${encodeURIComponent(week(i).to)}&limit=100`)).data.length,
      },
      {
        label: 'customers by last name (full-text)',
        floor: async (i) => ((await ask({ operation: 'customers.search', query: words(i), limit: 25 })).customers as unknown[]).length,
        api: async (i) => (await api(`/customers?q=${encodeURIComponent(words(i))}`)).data.length,
      },
      {
        label: 'customers by first + last name',
        floor: async (i) => ((await ask({ operation: 'customers.search', query: `${FIRST[i % FIRST.length]} ${words(i)}`, limit: 25 })).customers as unknown[]).length,
        api: async (i) => (await api(`/customers?q=${encodeURIComponent(`${FIRST[i % FIRST.length]} ${words(i)}`)}`)).data.length,
      },
      {
        label: 'customers by phone prefix (+49…)',
        floor: async (i) => ((await ask({ operation: 'customers.search', query: phonePrefix(i), limit: 25 })).customers as unknown[]).length,
        api: async (i) => (await api(`/customers?q=${encodeURIComponent(phonePrefix(i))}`)).data.length,
      },
      {
        // the gateway turns 0151… into +49151… by the company's own line; the floor asks booking with that form
        label: 'customers by national number (0151…)',
        floor: async (i) => ((await ask({ operation: 'customers.search', query: `+49${nationalNumber(i).slice(1)}`, limit: 25 })).customers as unknown[]).length,
        api: async (i) => (await api(`/customers?q=${encodeURIComponent(nationalNumber(i))}`)).data.length,
      },
      {
        label: 'customers by e-mail prefix',
        floor: async (i) => ((await ask({ operation: 'customers.search', query: `kunde${(i * 131) % CUSTOMERS}@`, limit: 25 })).customers as unknown[]).length,
        api: async (i) => (await api(`/customers?q=${encodeURIComponent(`kunde${(i * 131) % CUSTOMERS}@`)}`)).data.length,
      },
    ];
    const results: SelfServiceQuery[] = [];
    for (const q of queries) {
      await measure(20, q.floor); // warm-up (pools, plans, buffer pool)
      await measure(20, q.api);
      const floor = await measure(N, q.floor);
      const viaApi = await measure(N, q.api);
      const row: SelfServiceQuery = { label: q.label, floor: stats(floor.latency), api: stats(viaApi.latency), rows: viaApi.rows };
      results.push(row);
      console.log(statsLine(`${q.label}, floor (in-process)`, row.floor));
      console.log(statsLine(`${q.label}, API`, row.api) + `  rows ${row.rows}  ${row.api.p99 < TARGET_P99_MS ? 'ok' : 'OVER'} (target p99 < ${TARGET_P99_MS} ms)`);
    }
    writeResult({ appointments: APPOINTMENTS, customers: CUSTOMERS, targetP99Ms: TARGET_P99_MS, seedSeconds, queries: results } satisfies SelfServiceBenchResult);
  } finally {
    await producer.disconnect();
    await db.destroy();
    await booking.close();
    await gw.close();
    await kafka.destroy();
  }
}

runMain('self-service', main, 600_000);
