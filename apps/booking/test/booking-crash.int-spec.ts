import { BookingReply } from '@receptionist/contracts';
import { MessageProducer } from '@receptionist/messaging';
import { CalcomState, RunningSimulator, calcomSimulator, startSimulator } from '@receptionist/simulators';
import { testInfra, uniqueName, waitFor } from '@receptionist/testing';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { BookingRequester, TestBooking, createBookingDatabase, spawnBooking, startBooking, startBookingRequester } from './booking-app';
import { berlinAt, sendSetup, setupDoc, startProducer, wednesdayAhead } from './fixtures';

jest.setTimeout(300_000);

/**
 * booking SIGKILLed after Cal.com booked (its 201 held back by the simulator) and before our commit. After a restart
 * there is exactly one appointment or none, and Cal.com agrees: the retry of the same request adopts the booking, and
 * without a retry the orphan scan cancels it after its grace period. Real Kafka, MariaDB and Redis; a real process kill.
 */
describe('booking killed between Cal.com\'s 201 and its commit', () => {
  const prefix = uniqueName('crash');
  let sim: RunningSimulator<CalcomState>;
  let requester: BookingRequester;
  let producer: MessageProducer;
  let n = 0;
  const erika = { name: 'Erika Mustermann', phone: '+4915112345678', email: null, language: 'de' };
  const start = berlinAt(wednesdayAhead(), '10:00');
  const calcomEnv = () => ({ CALCOM_BASE_URL: sim.url, CALCOM_API_KEY: 'cal_test_booking', CALCOM_TEAM_SLUG: 'demo-praxis' });
  const ask = (r: any, timeoutMs?: number): Promise<BookingReply> => requester.ask({ callId: 'call_crash', ...r }, timeoutMs);
  const ofCompany = (companyId: string) => [...sim.state.bookings.values()].filter((b) => b.metadata.companyId === companyId);

  beforeAll(async () => {
    sim = await startSimulator(calcomSimulator, { port: 0 });
    requester = await startBookingRequester();
    producer = await startProducer();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await requester?.stop();
    await sim?.close();
  });
  beforeEach(() => sim.reset());

  /** A company served by a booking process that is killed once Cal.com has made the booking but not yet answered. */
  async function killedMidBooking(idempotencyKey: string) {
    const companyId = `${prefix}-${++n}`;
    const { database, drop } = await createBookingDatabase();
    const first = await spawnBooking(database, { ...calcomEnv(), CALCOM_REQUEST_TIMEOUT_MS: '30000' }, { companies: [companyId] });
    try {
      await sendSetup(producer, setupDoc(companyId));
      await waitFor(async () => (await ask({ operation: 'catalogue.get', companyId })).ok, { timeoutMs: 60_000, message: `set-up of ${companyId}` });
      sim.state.createAnswers.push({ kind: 'hold', ms: 15_000 });
      const unanswered = ask({ operation: 'appointment.book', companyId, serviceId: 'beratung', start, customer: erika, idempotencyKey }, 20_000).catch(() => null);
      const made = await waitFor(() => ofCompany(companyId)[0], { timeoutMs: 30_000, message: 'Cal.com booked' });
      first.child.kill('SIGKILL');
      await first.exited;
      void unanswered;
      return { companyId, database, drop, uid: made.uid };
    } catch (error) {
      first.child.kill('SIGKILL');
      await drop();
      throw error;
    }
  }

  async function inspect(database: string, companyId: string) {
    const db = new DataSource({ type: 'mysql', ...testInfra.db, database, timezone: 'Z' });
    await db.initialize();
    try {
      const appointments: { id: string; uid: string }[] = await db.query(`SELECT id, calcom_booking_uid AS uid FROM appointment WHERE company_id = ? AND status = 'booked'`, [companyId]);
      const pending = Number((await db.query('SELECT COUNT(*) AS n FROM calcom_pending_create WHERE company_id = ?', [companyId]))[0].n);
      return { appointments, pending };
    } finally {
      await db.destroy();
    }
  }

  it('without a retry: the orphan is cancelled in Cal.com after the grace period, and no appointment exists', async () => {
    const { companyId, database, drop, uid } = await killedMidBooking(uniqueName('key'));
    let replacement: TestBooking | undefined;
    try {
      replacement = await startBooking({ ...calcomEnv(), CALCOM_ORPHAN_GRACE_MS: '2000', CALCOM_ORPHAN_SCAN_MS: '500' }, { database, companies: [companyId] });
      await waitFor(() => sim.state.bookings.get(uid)!.status === 'cancelled', { timeoutMs: 60_000, message: 'orphan cancelled' });
      expect(await inspect(database, companyId)).toEqual({ appointments: [], pending: 0 });
      expect(ofCompany(companyId).filter((b) => b.status === 'accepted')).toEqual([]);
      // The slot is free again for anyone, once the dead attempt's calendar lock has run out (≤ SLOT_LOCK_TTL_MS).
      const redis = new Redis({ host: testInfra.redis.host, port: testInfra.redis.port });
      await waitFor(async () => !(await redis.exists(`booking:calendar-lock:${companyId}:event-type:1001`)), { timeoutMs: 10_000, message: 'dead lock expired' }).finally(() => redis.disconnect());
      expect(await ask({ operation: 'appointment.book', companyId, serviceId: 'beratung', start, customer: { ...erika, phone: '+4915199999999' }, idempotencyKey: uniqueName('key') })).toMatchObject({ ok: true });
    } finally {
      await replacement?.app.close();
      await drop();
    }
  });

  it('the retry of the same request adopts the booking at once (no self-block): one appointment, one Cal.com booking', async () => {
    const key = uniqueName('key');
    const { companyId, database, drop, uid } = await killedMidBooking(key);
    let replacement: TestBooking | undefined;
    try {
      replacement = await startBooking({ ...calcomEnv(), CALCOM_ORPHAN_SCAN_MS: '500' }, { database, companies: [companyId] });
      const retry = await ask({ operation: 'appointment.book', companyId, serviceId: 'beratung', start, customer: erika, idempotencyKey: key });
      expect(retry).toMatchObject({ ok: true, data: { appointment: { calcomBookingUid: uid, status: 'booked' } } });
      const state = await inspect(database, companyId);
      expect(state.pending).toBe(0);
      expect(state.appointments).toEqual([{ id: (retry.data!.appointment as any).appointmentId, uid }]);
      expect(ofCompany(companyId).map((b) => [b.uid, b.status])).toEqual([[uid, 'accepted']]);
    } finally {
      await replacement?.app.close();
      await drop();
    }
  });
});
