import { randomUUID } from 'node:crypto';
import { registry } from '@receptionist/observability';
import { BookingReply, Topics, createEnvelope } from '@receptionist/contracts';
import { MessageProducer } from '@receptionist/messaging';
import { CalcomState, RunningSimulator, calcomSimulator, startSimulator } from '@receptionist/simulators';
import { collectMessages, testKafka, uniqueName, waitFor } from '@receptionist/testing';
import { DataSource } from 'typeorm';
import { testInfra } from '@receptionist/testing';
import { CalendarLocks } from '../src/appointments/calendar-lock';
import { BookingRequester, TestBooking, startBooking, startBookingRequester } from './booking-app';
import { BookingSetupInput, berlinAt, sendSetup, setupDoc, startProducer, wednesdayAhead } from './fixtures';

jest.setTimeout(120000);

/**
 * What a caller is told about a booking has to match the calendar: no two appointments overlap in one calendar, an
 * answer of Cal.com that is not this request's booking is never confirmed, and a booking Cal.com made is never lost
 * or left behind (429, an answer cut off or too late). Real Kafka, MariaDB and Redis; Cal.com is the simulator, with
 * its scripted create answers.
 */
describe('calendar integrity', () => {
  const prefix = uniqueName('ci');
  let sim: RunningSimulator<CalcomState>;
  let booking: TestBooking;
  let requester: BookingRequester;
  let producer: MessageProducer;
  let events: Awaited<ReturnType<typeof collectMessages>>;
  let db: DataSource;
  let n = 0;

  const day = wednesdayAhead();
  const at = (hhmm: string) => berlinAt(day, hhmm);
  type Caller = { name: string; phone: string | null; email: string | null; language: string };
  const erika: Caller = { name: 'Erika Mustermann', phone: '+4915112345678', email: null, language: 'de' };
  const max: Caller = { name: 'Max Muster', phone: '+4915187654321', email: 'max@example.com', language: 'de' };
  const ask = (r: any, timeoutMs?: number): Promise<BookingReply> => requester.ask({ callId: null, ...r }, timeoutMs);
  const book = (companyId: string, start: string, customer = erika, serviceId = 'beratung', key = uniqueName('key')) =>
    ask({ operation: 'appointment.book', companyId, serviceId, start, customer, idempotencyKey: key });
  const active = () => [...sim.state.bookings.values()].filter((b) => b.status === 'accepted');
  const creates = () => sim.requests().filter((r) => r.method === 'POST' && r.path === '/v2/bookings');
  const booked = async (companyId: string) => db.query(`SELECT id, starts_at, ends_at, calcom_booking_uid AS uid FROM appointment WHERE company_id = ? AND status = 'booked' ORDER BY starts_at`, [companyId]);
  const pending = async (companyId: string) => Number((await db.query('SELECT COUNT(*) AS n FROM calcom_pending_create WHERE company_id = ?', [companyId]))[0].n);
  const createdEvents = (companyId: string, type = 'booking.created') => events.messages.map((m) => JSON.parse(m.value!.toString())).filter((e) => e.companyId === companyId && e.type === type);

  async function company(overrides: Partial<BookingSetupInput> = {}): Promise<string> {
    const companyId = `${prefix}-${++n}`;
    await sendSetup(producer, setupDoc(companyId, overrides));
    await waitFor(async () => (await ask({ operation: 'catalogue.get', companyId })).ok, { message: `set-up of ${companyId}` });
    return companyId;
  }
  /** One 60-minute service in Cal.com's event type 1001 (whose own length is 30): only our calendar knows it runs an hour. */
  const hourLong = () =>
    company({ services: [{ key: 'beratung', name: 'Beratung lang', calcomEventTypeId: 1001, durationMinutes: 60, priceMinor: 9000 }], staff: [] });

  beforeAll(async () => {
    sim = await startSimulator(calcomSimulator, { port: 0 });
    events = await collectMessages(testKafka(), [Topics.bookingCreated.name, Topics.bookingCancelled.name, Topics.bookingRescheduled.name], { fromBeginning: false });
    booking = await startBooking(
      {
        CALCOM_BASE_URL: sim.url,
        CALCOM_API_KEY: 'cal_test_booking',
        CALCOM_TEAM_SLUG: 'demo-praxis',
        CALCOM_REQUEST_TIMEOUT_MS: '2000',
        CALCOM_RETRY_BASE_DELAY_MS: '10',
        CALCOM_ORPHAN_GRACE_MS: '3000',
        CALCOM_ORPHAN_SCAN_MS: '500',
      },
      { companies: [`${prefix}*`] },
    );
    db = new DataSource({ type: 'mysql', ...testInfra.db, database: booking.database, timezone: 'Z' });
    await db.initialize();
    requester = await startBookingRequester();
    producer = await startProducer();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await requester?.stop();
    await db?.destroy();
    await booking?.close();
    await events?.stop();
    await sim?.close();
  });
  beforeEach(() => sim.reset());

  it('concurrent bookings at 10:00 (60 min) and 10:30 of one calendar: exactly one succeeds', async () => {
    const companyId = await hourLong();
    // A slower Cal.com widens the window in which both requests are between their checks and their commits.
    sim.setFault({ mode: 'slow', delayMs: 300 });
    const replies = await Promise.all([book(companyId, at('10:00')), book(companyId, at('10:30'), max)]);
    sim.setFault({ mode: 'normal' });
    expect(replies.filter((r) => r.ok)).toHaveLength(1);
    expect(replies.find((r) => !r.ok)).toMatchObject({ code: 'slot_taken' });
    expect(await booked(companyId)).toHaveLength(1);
    expect(active()).toHaveLength(1);
  });

  it('a reschedule onto a time a concurrent booking overlaps: exactly one of them succeeds', async () => {
    const companyId = await hourLong();
    const moved = await book(companyId, at('15:00'), max);
    expect(moved.ok).toBe(true);
    const appointmentId = (moved.data!.appointment as any).appointmentId;
    sim.setFault({ mode: 'slow', delayMs: 300 });
    const [newBooking, move] = await Promise.all([
      book(companyId, at('14:00')),
      ask({ operation: 'appointment.reschedule', companyId, customer: { phone: max.phone }, appointmentId, newStart: at('14:30'), idempotencyKey: uniqueName('move') }),
    ]);
    sim.setFault({ mode: 'normal' });
    expect([newBooking, move].filter((r) => r.ok)).toHaveLength(1);
    expect([newBooking, move].find((r) => !r.ok)).toMatchObject({ code: 'slot_taken' });
    const rows = await booked(companyId);
    expect(rows).toHaveLength(newBooking.ok ? 2 : 1);
    for (let i = 1; i < rows.length; i++) expect(new Date(rows[i].starts_at).getTime()).toBeGreaterThanOrEqual(new Date(rows[i - 1].ends_at).getTime());
  });

  it('Cal.com answering a create with an existing booking (another call\'s, or a walk-in) is slot_taken and confirms nothing', async () => {
    const companyId = await company();
    // Bookings of the same start made earlier (another call's, a walk-in's) that Cal.com hands back as the answer to our
    // create (a duplicate or idempotency match); they are in another calendar here so that our slot check still passes.
    const earlier = async (metadata: Record<string, string>) => {
      const res = await fetch(`${sim.url}/v2/bookings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cal-api-version': '2024-08-13' },
        body: JSON.stringify({ eventTypeId: 1003, start: at('10:00'), attendee: { name: erika.name, phoneNumber: erika.phone, timeZone: 'Europe/Berlin' }, metadata }),
      });
      const uid = ((await res.json()) as { data: { uid: string } }).data.uid;
      sim.state.bookings.get(uid)!.createdAt = new Date(Date.now() - 10 * 60_000).toISOString();
      return uid;
    };
    const otherCall = await earlier({ appointmentId: randomUUID(), companyId, callId: 'call_earlier' });
    const walkIn = await earlier({});
    sim.state.createAnswers.push({ kind: 'existing', uid: otherCall }, { kind: 'existing', uid: walkIn });

    for (const expected of [otherCall, walkIn]) {
      const reply = await book(companyId, at('10:00'));
      expect(reply).toMatchObject({ ok: false, code: 'slot_taken' });
      expect(sim.state.bookings.get(expected)!.status).toBe('accepted'); // not ours to cancel
    }
    expect(creates().filter((r) => (r.body as { eventTypeId?: number }).eventTypeId === 1001)).toHaveLength(2);
    expect(await booked(companyId)).toHaveLength(0);
    expect(await pending(companyId)).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(createdEvents(companyId)).toHaveLength(0);
  });

  it('a 429 from Cal.com is retried after Retry-After within the deadline, and books', async () => {
    const companyId = await company();
    sim.state.createAnswers.push({ kind: 'rate_limited', retryAfterSeconds: 1 });
    const reply = await book(companyId, at('11:00'));
    expect(reply).toMatchObject({ ok: true, data: { replayed: false } });
    expect(creates().map((r) => r.statusCode)).toEqual([429, 201]);
    expect(active().map((b) => b.uid)).toEqual([(reply.data!.appointment as any).calcomBookingUid]);
    expect(await pending(companyId)).toBe(0);
  });

  it('a 429 whose Retry-After ends past the deadline answers calendar_unavailable and leaves nothing behind', async () => {
    const companyId = await company();
    sim.state.createAnswers.push({ kind: 'rate_limited', retryAfterSeconds: 30 });
    expect(await book(companyId, at('11:30'))).toMatchObject({ ok: false, code: 'calendar_unavailable' });
    expect(creates()).toHaveLength(1);
    expect(active()).toHaveLength(0);
    expect(await pending(companyId)).toBe(0);
  });

  it('a 201 whose body is cut off, or that arrives after our timeout, is still recorded as the booking', async () => {
    const companyId = await company();
    sim.state.createAnswers.push({ kind: 'garbled' }, { kind: 'hold', ms: 2_500 });
    for (const start of [at('13:00'), at('13:30')]) {
      const reply = await book(companyId, start);
      expect(reply).toMatchObject({ ok: true, data: { replayed: false } });
      const uid = (reply.data!.appointment as any).calcomBookingUid;
      expect(sim.state.bookings.get(uid)).toMatchObject({ status: 'accepted', start });
    }
    expect(active()).toHaveLength(2);
    expect((await booked(companyId)).map((r: any) => r.uid).sort()).toEqual(active().map((b) => b.uid).sort());
    expect(await pending(companyId)).toBe(0);
  });

  it('a retry of the same request takes over the lock of its own dead attempt; another request cannot', async () => {
    const locks = booking.app.get(CalendarLocks);
    const key = locks.calendarKey(`${prefix}-locks`, 4242);
    const owner = CalendarLocks.owner(uniqueName('book'));
    const dead = await locks.acquire(key, owner); // never renewed: its holder died
    expect(dead).toMatchObject({ acquired: true, tookOver: false });
    expect(await locks.acquire(key, owner)).toEqual({ acquired: false, heldBySameOwner: true }); // alive for all we know
    expect(await locks.acquire(key, CalendarLocks.owner('someone else'))).toEqual({ acquired: false, heldBySameOwner: false });
    const retry = await waitFor(async () => {
      const got = await locks.acquire(key, owner);
      return got.acquired ? got : null;
    }, { timeoutMs: 5_000, intervalMs: 100, message: 'take-over' });
    expect(retry.tookOver).toBe(true);
    if (!dead.acquired) throw new Error('unreachable');
    expect(await locks.holds(dead.lock)).toBe(false); // the fence: the dead attempt can no longer write
    await locks.release(retry.lock);
  });

  it("a Cal.com change reported from another company's calendar does not touch the appointment; one from its own does", async () => {
    const owner = await company({ services: [{ key: 'beratung', name: 'Beratung', calcomEventTypeId: 1001, durationMinutes: 30, priceMinor: 5000 }], staff: [] });
    await company({ services: [{ key: 'kontrolle', name: 'Kontrolle', calcomEventTypeId: 1003, durationMinutes: 15, priceMinor: 2000 }], staff: [] });
    const reply = await book(owner, at('10:00'));
    const { appointmentId, calcomBookingUid: uid } = reply.data!.appointment as any;
    const foreign = async () => {
      const values = (await registry.getSingleMetric('booking_calendar_changes_total')?.get())?.values ?? [];
      return values.filter((v) => v.labels.outcome === 'foreign').reduce((a, v) => a + v.value, 0);
    };
    const before = await foreign();
    const send = (trigger: string, bookingUid: string, payload: Record<string, unknown>) =>
      producer.publish({
        topic: Topics.calcomBookingChanged.name,
        key: bookingUid,
        envelope: createEnvelope({ type: Topics.calcomBookingChanged.name, source: 'gateway', companyId: null, subject: bookingUid, data: { trigger, calcomBookingUid: bookingUid, payload: { uid: bookingUid, ...payload } } }),
      });
    // Signed webhooks of the other company's calendar (event type 1003) naming this company's booking uid.
    await send('BOOKING_CANCELLED', uid, { eventTypeId: 1003, cancellationReason: 'not yours' });
    await send('BOOKING_RESCHEDULED', 'moved-uid', { eventTypeId: 1003, rescheduleUid: uid, startTime: at('15:00'), endTime: at('15:30') });
    // Done when both are counted as foreign (or, wrongly, applied).
    await waitFor(async () => (await foreign()) >= before + 2 || createdEvents(owner, 'booking.cancelled').length + createdEvents(owner, 'booking.rescheduled').length > 0, {
      message: 'both changes handled',
    });
    await new Promise((r) => setTimeout(r, 300));
    const list = await ask({ operation: 'appointment.list', companyId: owner, customer: { phone: erika.phone } });
    expect(list.data!.appointments).toMatchObject([{ appointmentId, calcomBookingUid: uid, status: 'booked' }]);
    expect(Date.parse((list.data!.appointments as any[])[0].startsAt)).toBe(Date.parse(at('10:00')));
    expect(createdEvents(owner, 'booking.cancelled')).toHaveLength(0);
    expect(createdEvents(owner, 'booking.rescheduled')).toHaveLength(0);

    // From its own calendar the same cancellation applies.
    await send('BOOKING_CANCELLED', uid, { eventTypeId: 1001, cancellationReason: 'Praxis geschlossen' });
    await waitFor(() => createdEvents(owner, 'booking.cancelled').length === 1, { message: 'booking.cancelled' });
  });

  it('a BOOKING_CREATED of ours that no appointment holds is cancelled in Cal.com after the grace period', async () => {
    const companyId = await company();
    const appointmentId = randomUUID();
    // A booking with our metadata whose create never reached our database (made before a crash, say).
    const res = await fetch(`${sim.url}/v2/bookings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cal-api-version': '2024-08-13' },
      body: JSON.stringify({ eventTypeId: 1001, start: at('16:00'), attendee: { name: erika.name, phoneNumber: erika.phone, timeZone: 'Europe/Berlin' }, metadata: { appointmentId, companyId } }),
    });
    const uid = ((await res.json()) as { data: { uid: string } }).data.uid;
    await producer.publish({
      topic: Topics.calcomBookingChanged.name,
      key: uid,
      envelope: createEnvelope({
        type: Topics.calcomBookingChanged.name,
        source: 'gateway',
        companyId: null,
        subject: uid,
        data: { trigger: 'BOOKING_CREATED', calcomBookingUid: uid, payload: { uid, eventTypeId: 1001, status: 'ACCEPTED', startTime: at('16:00'), endTime: at('16:30'), metadata: { appointmentId, companyId } } },
      }),
    });
    await waitFor(() => sim.state.bookings.get(uid)!.status === 'cancelled', { timeoutMs: 30_000, message: 'orphan cancelled' });
    expect(await booked(companyId)).toHaveLength(0);
    expect(await pending(companyId)).toBe(0);
  });
});
