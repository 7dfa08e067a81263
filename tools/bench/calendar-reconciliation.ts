/**
 * Reconciliation of one company's Cal.com with 10,000 bookings (issue 18): the simulator holds the company's own
 * account with BENCH_CAL_BOOKINGS bookings, each held by one of our appointments (seeded straight into booking's
 * database), of which BENCH_CAL_DRIFT were cancelled in Cal.com without a webhook. One on-demand run through sync
 * (two instances, one database) → booking → Cal.com: the run's time, the Cal.com requests it used (and the simulator's
 * own count of `GET /v2/bookings`), the bookings read and the drift repaired.
 *
 *   node -r @swc-node/register tools/bench/calendar-reconciliation.ts
 *
 * Runs on the shared broker with company ids of its own (booking serves only those).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CalendarReply, SyncReply, Topics } from '@receptionist/contracts';
import { calcomSimulator, startSimulator } from '@receptionist/simulators';
import { testInfra, uniqueName, waitFor } from '@receptionist/testing';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBooking, startBookingRequester } from '../../apps/booking/test/booking-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { sendSetup, setupDoc, startProducer } from '../../apps/booking/test/fixtures';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { createSyncDatabase, startSync } from '../../apps/sync/test/sync-app';
import { envInt, fmt, now, printHeader, runMain, writeResult } from './lib';

const BOOKINGS = envInt('BENCH_CAL_BOOKINGS', 10_000);
const DRIFT = envInt('BENCH_CAL_DRIFT', 100);

export interface CalendarReconciliationBenchResult {
  name: 'calendar-reconciliation';
  bookings: number;
  drift: number;
  seconds: number;
  requests: number;
  listRequestsSeen: number;
  scanned: number;
  repaired: number;
}

async function main() {
  printHeader(`calendar reconciliation: ${BOOKINGS} Cal.com bookings, ${DRIFT} cancelled without a webhook`);
  const sim = await startSimulator(calcomSimulator, { port: 0 });
  const hours = [{ days: [0, 1, 2, 3, 4, 5, 6], start: '00:00', end: '23:59' }];
  sim.state.seed({ apiKey: 'cal_platform_bench', accounts: [{ apiKey: 'cal_bench_account', eventTypes: [{ id: 7501, slug: 'beratung', teamSlug: 'bench', lengthInMinutes: 30, openingHours: hours }] }] });
  const prefix = uniqueName('calbench');
  const companyId = `${prefix}-1`;
  const booking = await startBooking({ CALCOM_BASE_URL: sim.url, CALCOM_API_KEY: 'cal_platform_bench', CALENDAR_SECRETS_KEY: randomBytes(32).toString('base64'), CALCOM_ORPHAN_SCAN_MS: '0' }, { companies: [`${prefix}*`] });
  const syncDb = await createSyncDatabase();
  const syncs = [await startSync({ RECONCILE_INTERVAL_MS: '0' }, { database: syncDb.database }), await startSync({ RECONCILE_INTERVAL_MS: '0' }, { database: syncDb.database })];
  const requester = await startBookingRequester();
  const producer = await startProducer();
  const db = new DataSource({ type: 'mysql', ...testInfra.db, database: booking.database, timezone: 'Z' });
  await db.initialize();
  try {
    const doc = setupDoc(companyId);
    await sendSetup(producer, { ...doc, calcomTeamSlug: 'bench', services: [{ ...doc.services[0], calcomEventTypeId: 7501 }], staff: [] });
    await waitFor(async () => (await db.query('SELECT id FROM service WHERE company_id = ?', [companyId])).length > 0, { timeoutMs: 30_000, message: 'set-up' });
    const calendar = (r: Record<string, unknown>): Promise<CalendarReply> => requester.client.request(Topics.calendarRequest.name, { key: companyId, companyId, subject: null, data: r }, 15_000);
    const sync = (r: Record<string, unknown>): Promise<SyncReply> => requester.client.request(Topics.syncRequest.name, { key: companyId, companyId, subject: null, data: r }, 10_000);
    const put = await calendar({ operation: 'connection.put', companyId, connection: { provider: 'calcom', apiKey: 'cal_bench_account', teamSlug: 'bench' } });
    if (!put.ok) throw new Error(`connection refused: ${put.detail}`);

    // The bookings, and one appointment of ours holding each.
    const first = new Date(Date.now() + 86_400_000);
    first.setUTCMinutes(0, 0, 0);
    await fetch(`${sim.url}/__sim/calcom/bulk-bookings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ eventTypeId: 7501, count: BOOKINGS, firstStart: first.toISOString(), everyMinutes: 30, metadata: { companyId } }) });
    const [{ id: serviceId }] = await db.query('SELECT id FROM service WHERE company_id = ?', [companyId]);
    const customerId = randomUUID();
    await db.query(`INSERT INTO customer (id, company_id, phone, name, email, language, created_at, updated_at) VALUES (?, ?, '+4915100000001', 'Bench', NULL, 'de', NOW(3), NOW(3))`, [customerId, companyId]);
    const all = [...sim.state.bookings.values()];
    for (let offset = 0; offset < all.length; offset += 2000) {
      const chunk = all.slice(offset, offset + 2000);
      await db.query(
        `INSERT INTO appointment (id, company_id, service_id, staff_id, customer_id, call_id, calcom_event_type_id, calcom_booking_uid, starts_at, ends_at, time_zone, status, source, idempotency_key, created_at, updated_at) VALUES ${chunk.map(() => "(?, ?, ?, NULL, ?, NULL, 7501, ?, ?, ?, 'Europe/Berlin', 'booked', 'phone', ?, NOW(3), NOW(3))").join(',')}`,
        chunk.flatMap((b, i) => [randomUUID(), companyId, serviceId, customerId, b.uid, new Date(b.start), new Date(b.end), `bench-${offset + i}`]),
      );
    }
    // Drift: cancelled in Cal.com, the webhook lost.
    for (const b of all.slice(0, DRIFT)) Object.assign(b, { status: 'cancelled', updatedAt: new Date().toISOString() });

    const started = now();
    const start = await sync({ operation: 'reconciliation.start', companyId });
    const runId = (start.data!.run as { runId: string }).runId;
    let run: Record<string, any> | undefined;
    await waitFor(
      async () => {
        const list = await sync({ operation: 'reconciliations.list', companyId, limit: 1 });
        run = (list.data!.runs as Record<string, any>[]).find((r) => r.runId === runId);
        return run && run.status !== 'running';
      },
      { timeoutMs: 150_000, intervalMs: 100, message: 'the run' },
    );
    const seconds = (now() - started) / 1000;
    if (run!.status !== 'completed') throw new Error(`run ${run!.status}: ${run!.error}`);
    const listRequestsSeen = sim.requests().filter((r) => r.method === 'GET' && r.path === '/v2/bookings').length;
    const repaired = Number(run!.findingsCount);
    const cancelledHere = Number((await db.query(`SELECT COUNT(*) AS n FROM appointment WHERE company_id = ? AND status = 'cancelled'`, [companyId]))[0].n);
    console.log(`  run: ${fmt(seconds, 2)} s, ${run!.requests} Cal.com requests (${fmt(run!.requests / Math.max(seconds / 60, 1 / 60), 0)}/min budget use), ${run!.scanned} bookings read`);
    console.log(`  drift repaired: ${repaired} findings; ${cancelledHere} of our appointments now cancelled (expected ${DRIFT})`);
    console.log(`  simulator saw ${listRequestsSeen} GET /v2/bookings in its last-200 request log`);
    const result: CalendarReconciliationBenchResult = { name: 'calendar-reconciliation', bookings: BOOKINGS, drift: DRIFT, seconds, requests: Number(run!.requests), listRequestsSeen, scanned: Number(run!.scanned), repaired };
    writeResult(result);
  } finally {
    await db.destroy();
    await producer.disconnect();
    await requester.stop();
    for (const s of syncs) await s.close();
    await syncDb.drop();
    await booking.close();
    await sim.close();
  }
}

runMain('calendar-reconciliation', main, 300_000);
