import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { MessageProducer, ensureTopics, specsFor } from '@receptionist/messaging';
import { CalcomState, RunningSimulator, calcomSimulator, startSimulator } from '@receptionist/simulators';
import { collectMessages, testInfra, testKafka, waitFor } from '@receptionist/testing';
import { createTestTenant, startGateway, TestGateway, TestTenant } from './gateway-app';
// Appointments live in booking: the real one answers over booking.request, with the Cal.com simulator.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBooking, TestBooking } from '../../booking/test/booking-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { berlinAt, sendSetup, setupDoc, startProducer, wednesdayAhead } from '../../booking/test/fixtures';

jest.setTimeout(180000);

const ADMIN = { email: 'root@appointments.test', password: 'correct horse battery staple' };
const ERIKA = '+4915112345678';

/**
 * The business's own appointments through the admin API, end to end: gateway → booking.request → the real booking
 * service (MariaDB, Redis locks, outbox events) → the Cal.com simulator.
 */
describe('self-service appointments', () => {
  let sim: RunningSimulator<CalcomState>;
  let gw: TestGateway;
  let booking: TestBooking;
  let bookingDb: DataSource;
  let producer: MessageProducer;
  let events: Awaited<ReturnType<typeof collectMessages>>;
  let A: TestTenant;
  let B: TestTenant;
  const day = wednesdayAhead();
  const at = (hhmm: string) => berlinAt(day, hhmm);
  const base = (t: TestTenant) => `/api/v1/companies/${t.companyId}/appointments`;
  const call = (method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>) => gw.call(method, path, { token, body, headers });
  const create = (t: TestTenant, body: unknown, key = randomUUID()) => call('POST', base(t), t.admin, body, { 'idempotency-key': key });
  const eventsOf = (companyId: string, type: string) => events.messages.map((m) => JSON.parse(m.value!.toString())).filter((e) => e.companyId === companyId && e.type === type);
  const rowCount = async (companyId: string) => Number((await bookingDb.query('SELECT COUNT(*) AS n FROM appointment WHERE company_id = ?', [companyId]))[0].n);

  /** An appointment that took place last week (made by phone then): only past appointments have an outcome. */
  async function pastAppointment(companyId: string): Promise<string> {
    const [service] = await bookingDb.query('SELECT id FROM service WHERE company_id = ? AND `key` = ?', [companyId, 'beratung']);
    const customerId = randomUUID();
    const id = randomUUID();
    const start = new Date(Date.now() - 7 * 86_400_000);
    await bookingDb.query('INSERT INTO customer (id, company_id, phone, name, email, language, created_at, updated_at) VALUES (?, ?, ?, ?, NULL, ?, ?, ?)', [customerId, companyId, '+4915100000001', 'Past Customer', 'de', start, start]);
    await bookingDb.query(
      `INSERT INTO appointment (id, company_id, service_id, staff_id, customer_id, call_id, calcom_event_type_id, calcom_booking_uid, starts_at, ends_at, time_zone, status, idempotency_key, created_at, updated_at)
       VALUES (?, ?, ?, NULL, ?, 'call_past', 1001, NULL, ?, ?, 'Europe/Berlin', 'booked', ?, ?, ?)`,
      [id, companyId, service.id, customerId, start, new Date(start.getTime() + 30 * 60_000), `past-${id}`, new Date(start.getTime() - 86_400_000), new Date(start.getTime() - 86_400_000)],
    );
    return id;
  }

  beforeAll(async () => {
    // booking.outcome-recorded is new: make sure the shared broker has it (deploy/infra.sh creates it from the catalogue).
    await ensureTopics(testKafka(), specsFor([Topics.bookingOutcomeRecorded]));
    sim = await startSimulator(calcomSimulator, { port: 0 });
    gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, RATE_LIMIT_BOOKING: '1000' });
    const platform = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
    A = await createTestTenant(gw, platform, 'Appointments A');
    B = await createTestTenant(gw, platform, 'Appointments B');
    booking = await startBooking(
      { CALCOM_BASE_URL: sim.url, CALCOM_API_KEY: 'cal_test_appointments', CALCOM_TEAM_SLUG: 'demo-praxis', CALCOM_REQUEST_TIMEOUT_MS: '2000', CALCOM_RETRY_BASE_DELAY_MS: '10' },
      { companies: [A.companyId, B.companyId] },
    );
    bookingDb = new DataSource({ type: 'mariadb', host: testInfra.db.host, port: testInfra.db.port, username: testInfra.db.username, password: testInfra.db.password, database: booking.database });
    await bookingDb.initialize();
    events = await collectMessages(testKafka(), [Topics.bookingCreated.name, Topics.bookingCancelled.name, Topics.bookingRescheduled.name, Topics.bookingOutcomeRecorded.name], { fromBeginning: false });
    producer = await startProducer();
    for (const t of [A, B]) await sendSetup(producer, setupDoc(t.companyId));
    for (const t of [A, B]) {
      await waitFor(async () => (await call('GET', base(t), t.admin)).status === 200, { timeoutMs: 30000, message: 'booking answers' });
      await waitFor(async () => Number((await bookingDb.query('SELECT COUNT(*) AS n FROM service WHERE company_id = ?', [t.companyId]))[0].n) === 2, { timeoutMs: 30000, message: 'set-up applied' });
    }
  });

  afterAll(async () => {
    await events?.stop();
    await producer?.disconnect();
    await bookingDb?.destroy();
    await booking?.close();
    await gw?.close();
    await sim?.close();
  });

  it('books for a customer through the booking path: in Cal.com, booking.created published, once per Idempotency-Key', async () => {
    const key = randomUUID();
    const body = { serviceId: 'beratung', start: at('09:00'), customer: { name: 'Erika Mustermann', phone: '+49 151 12345678' }, notes: 'am Telefon gebucht' };
    const made = await create(A, body, key);
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ replayed: false, appointment: { serviceName: 'Beratung', status: 'booked', source: 'staff', callId: null, customer: { name: 'Erika Mustermann', phone: ERIKA } } });
    const appointment = made.body.appointment;
    expect(Date.parse(appointment.startsAt)).toBe(Date.parse(at('09:00')));
    expect(sim.state.bookings.get(appointment.calcomBookingUid)).toMatchObject({ status: 'accepted', metadata: expect.objectContaining({ appointmentId: appointment.appointmentId, companyId: A.companyId }) });
    await waitFor(async () => eventsOf(A.companyId, 'booking.created').some((e) => e.data.appointmentId === appointment.appointmentId), { timeoutMs: 20000, message: 'booking.created' });
    expect(appointment.history).toEqual([expect.objectContaining({ kind: 'created', source: 'staff', callId: null })]);

    // the same key again: the same appointment, nothing booked twice
    const again = await create(A, body, key);
    expect([again.status, again.body.replayed, again.body.appointment.appointmentId]).toEqual([201, true, appointment.appointmentId]);
    expect([...sim.state.bookings.values()].filter((b) => b.metadata?.companyId === A.companyId)).toHaveLength(1);
    const audit = await call('GET', `/api/v1/companies/${A.companyId}/audit-log?action=appointment.created`, A.admin);
    expect(audit.body.data).toHaveLength(1);
  });

  it('answers a taken slot 409 with free alternatives and a slot outside opening hours 422, booking nothing', async () => {
    const before = await rowCount(A.companyId);
    const taken = await create(A, { serviceId: 'beratung', start: at('09:00'), customer: { name: 'Max Muster', phone: '+4915187654321' } });
    expect([taken.status, taken.body.field, taken.body.code]).toEqual([409, 'start', 'slot_taken']);
    expect(taken.body.alternatives.length).toBeGreaterThan(0);
    const night = await create(A, { serviceId: 'beratung', start: at('22:00'), customer: { name: 'Max Muster', phone: '+4915187654321' } });
    expect([night.status, night.body.field, night.body.code]).toEqual([422, 'start', 'outside_opening_hours']);
    expect(await rowCount(A.companyId)).toBe(before);
  });

  it('refuses bad input with 400 naming the field and changes nothing', async () => {
    const before = await rowCount(A.companyId);
    const good = { serviceId: 'beratung', start: at('13:00'), customer: { name: 'Max Muster', phone: '+4915187654321' } };
    const cases: [unknown, Record<string, string>, string][] = [
      [{ ...good, start: 'tomorrow' }, { 'idempotency-key': randomUUID() }, 'start'],
      [{ ...good, customer: { name: 'Max' } }, { 'idempotency-key': randomUUID() }, 'customer.phone'],
      [{ ...good, customer: { ...good.customer, phone: '12' } }, { 'idempotency-key': randomUUID() }, 'customer.phone'],
      [{ ...good, colour: 'red' }, { 'idempotency-key': randomUUID() }, 'colour'],
      [{ ...good, serviceId: 'massage' }, { 'idempotency-key': randomUUID() }, 'serviceId'],
      [good, {}, 'Idempotency-Key'],
    ];
    for (const [body, headers, field] of cases) {
      const res = await call('POST', base(A), A.admin, body, headers);
      expect([field, res.status, res.body.field]).toEqual([field, 400, field]);
      expect(res.body.message).toContain(field);
    }
    // an RFC 9457 problem with one entry per invalid field (and the classic fields beside it)
    const two = await call('POST', base(A), A.admin, { ...good, start: 'x', customer: { name: '', phone: '+4915187654321' } }, { 'idempotency-key': randomUUID() });
    expect(two.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(two.body).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400, statusCode: 400, field: 'start,customer.name' });
    expect(two.body.detail).toBe(two.body.message);
    expect(two.body.errors).toEqual([
      { field: 'start', message: expect.any(String) },
      { field: 'customer.name', message: expect.any(String) },
    ]);
    const slot = await create(A, { ...good, start: at('09:00') });
    expect([slot.status, slot.headers.get('content-type'), slot.body.errors]).toEqual([409, expect.stringMatching(/^application\/problem\+json/), [{ field: 'start', message: expect.any(String) }]]);
    for (const [query, field] of [['status=gone', 'status'], ['from=2026-13-01', 'from'], ['limit=500', 'limit'], [`from=${at('12:00')}&to=${at('09:00')}`, 'to'], ['cursor=abc', 'cursor'], ['sort=asc', 'sort']]) {
      const res = await call('GET', `${base(A)}?${query}`, A.admin);
      expect([query, res.status, res.body.field]).toEqual([query, 400, field]);
    }
    expect(await rowCount(A.companyId)).toBe(before);
  });

  it('lists by time range, service, staff, status and source, page by page', async () => {
    const made: string[] = [];
    for (const [hhmm, staffId] of [['10:00', null], ['10:30', 'anna'], ['11:00', null], ['11:30', null]] as const) {
      const res = await create(A, { serviceId: 'beratung', start: at(hhmm), staffId, customer: { name: `Kunde ${hhmm}`, email: `kunde${hhmm.replace(':', '')}@example.com` } });
      expect([hhmm, res.status]).toEqual([hhmm, 201]);
      made.push(res.body.appointment.appointmentId);
    }
    const from = at('09:30');
    const to = at('12:00');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await call('GET', `${base(A)}?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, A.admin);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((a: { appointmentId: string }) => a.appointmentId));
      cursor = res.body.next;
      pages++;
    } while (cursor);
    expect([seen, pages]).toEqual([made, 2]);

    const annaId = (await call('GET', `${base(A)}/${made[1]}`, A.admin)).body.staffId;
    expect(annaId).toEqual(expect.any(String));
    const anna = (await call('GET', `${base(A)}?from=${encodeURIComponent(from)}&staffId=${annaId}`, A.admin)).body.data;
    expect(anna.map((a: { appointmentId: string }) => a.appointmentId)).toEqual([made[1]]);
    const serviceId = (await call('GET', `${base(A)}/${made[0]}`, A.admin)).body.serviceId;
    expect((await call('GET', `${base(A)}?serviceId=${serviceId}&source=staff&status=booked`, A.admin)).body.data).toHaveLength(5);
    expect((await call('GET', `${base(A)}?source=phone,calcom`, A.admin)).body.data).toHaveLength(0);
    // company B sees none of A's
    expect((await call('GET', base(B), B.admin)).body.data).toEqual([]);
  });

  it('moves and cancels as the business (Cal.com follows, events published), with the history', async () => {
    const made = await create(A, { serviceId: 'beratung', start: at('14:00'), customer: { name: 'Erika Mustermann', phone: ERIKA } });
    const id = made.body.appointment.appointmentId as string;
    const oldUid = made.body.appointment.calcomBookingUid as string;

    const moved = await call('POST', `${base(A)}/${id}/move`, A.admin, { start: at('15:00') });
    expect(moved.status).toBe(200);
    expect(Date.parse(moved.body.startsAt)).toBe(Date.parse(at('15:00')));
    expect(sim.state.bookings.get(moved.body.calcomBookingUid)).toMatchObject({ status: 'accepted' });
    expect(moved.body.calcomBookingUid).not.toBe(oldUid);
    await waitFor(async () => eventsOf(A.companyId, 'booking.rescheduled').some((e) => e.data.appointmentId === id), { timeoutMs: 20000, message: 'booking.rescheduled' });

    const cancelled = await call('POST', `${base(A)}/${id}/cancel`, A.admin, { reason: 'Praxis geschlossen' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelledBy: 'business', cancellationReason: 'Praxis geschlossen' });
    expect(sim.state.bookings.get(moved.body.calcomBookingUid)?.status).toBe('cancelled');
    await waitFor(async () => eventsOf(A.companyId, 'booking.cancelled').some((e) => e.data.appointmentId === id && e.data.cancelledBy === 'business'), { timeoutMs: 20000, message: 'booking.cancelled' });
    expect(cancelled.body.history.map((h: { kind: string }) => h.kind)).toEqual(['created', 'moved', 'cancelled']);
    expect(cancelled.body.history[1]).toMatchObject({ from: expect.any(String), to: expect.any(String) });
    expect(Date.parse(cancelled.body.history[1].to)).toBe(Date.parse(at('15:00')));

    // a cancelled appointment cannot be moved; cancelling again changes nothing
    const late = await call('POST', `${base(A)}/${id}/move`, A.admin, { start: at('16:00') });
    expect([late.status, late.body.field]).toEqual([409, 'appointmentId']);
    expect((await call('POST', `${base(A)}/${id}/cancel`, A.admin, {})).body.history).toHaveLength(3);
  });

  it('records no-show and completed after the start only, with booking.outcome-recorded', async () => {
    const past = await pastAppointment(A.companyId);
    const noShow = await call('POST', `${base(A)}/${past}/outcome`, A.admin, { outcome: 'no_show' });
    expect([noShow.status, noShow.body.status]).toEqual([200, 'no_show']);
    await waitFor(async () => eventsOf(A.companyId, 'booking.outcome-recorded').some((e) => e.data.appointmentId === past && e.data.outcome === 'no_show' && e.data.previousStatus === 'booked'), {
      timeoutMs: 20000,
      message: 'booking.outcome-recorded',
    });
    const corrected = await call('POST', `${base(A)}/${past}/outcome`, A.admin, { outcome: 'completed' });
    expect(corrected.body.history.map((h: { kind: string }) => h.kind)).toEqual(['created', 'no_show', 'completed']);
    expect(corrected.body.history[0]).toMatchObject({ source: 'phone', callId: 'call_past' });
    expect((await call('GET', `${base(A)}?status=completed`, A.admin)).body.data.map((a: { appointmentId: string }) => a.appointmentId)).toEqual([past]);

    const future = (await call('GET', `${base(A)}?status=booked&limit=1`, A.admin)).body.data[0].appointmentId;
    const early = await call('POST', `${base(A)}/${future}/outcome`, A.admin, { outcome: 'no_show' });
    expect([early.status, early.body.field]).toEqual([409, 'outcome']);
    const bad = await call('POST', `${base(A)}/${past}/outcome`, A.admin, { outcome: 'late' });
    expect([bad.status, bad.body.field]).toEqual([400, 'outcome']);
    expect((await call('GET', `${base(A)}/${future}`, A.admin)).body.status).toBe('booked');
  });

  it('gives the booking form the services, staff and a day\'s free starts, which a booking then accepts; a bad range is 400 naming the field', async () => {
    const catalogue = await call('GET', `/api/v1/companies/${A.companyId}/catalogue`, A.admin);
    expect(catalogue.status).toBe(200);
    expect(catalogue.body.timeZone).toBe('Europe/Berlin');
    expect(catalogue.body.services.map((s: { name: string }) => s.name)).toContain('Beratung');
    expect(catalogue.body.staff.map((s: { name: string }) => s.name)).toContain('Anna Berger');
    const beratung = catalogue.body.services.find((s: { name: string }) => s.name === 'Beratung');
    const free = await call('GET', `/api/v1/companies/${A.companyId}/free-times?serviceId=${beratung.serviceId}&from=${encodeURIComponent(at('00:00'))}&to=${encodeURIComponent(at('23:59'))}`, A.admin);
    expect(free.status).toBe(200);
    expect(free.body.starts.length).toBeGreaterThan(0);
    // a start the form offers is one booking takes
    const made = await create(A, { serviceId: beratung.serviceId, start: free.body.starts[free.body.starts.length - 1], customer: { name: 'Form Kunde', phone: '+4915122223333' } });
    expect(made.status).toBe(201);
    const after = await call('GET', `/api/v1/companies/${A.companyId}/free-times?serviceId=${beratung.serviceId}&from=${encodeURIComponent(at('00:00'))}&to=${encodeURIComponent(at('23:59'))}`, A.admin);
    expect(after.body.starts).not.toContain(free.body.starts[free.body.starts.length - 1]);
    const bad = await call('GET', `/api/v1/companies/${A.companyId}/free-times?serviceId=${beratung.serviceId}&from=${encodeURIComponent(at('12:00'))}&to=${encodeURIComponent(at('08:00'))}`, A.admin);
    expect([bad.status, bad.body.errors]).toEqual([400, [{ field: 'to', message: 'must be after from' }]]);
  });

  it("answers 404 for another company's appointment ids and changes nothing; a receptionist (staff) may read them", async () => {
    const target = (await call('GET', `${base(A)}?status=booked&limit=1`, A.admin)).body.data[0];
    const byB = (p: string) => `${base(B)}/${target.appointmentId}${p}`;
    expect((await call('GET', byB(''), B.admin)).status).toBe(404);
    expect((await call('POST', byB('/cancel'), B.admin, {})).status).toBe(404);
    expect((await call('POST', byB('/move'), B.admin, { start: at('16:30') })).status).toBe(404);
    expect((await call('POST', byB('/outcome'), B.admin, { outcome: 'completed' })).status).toBe(404);
    expect((await call('GET', `${base(A)}/${target.appointmentId}`, B.admin)).status).toBe(404);
    expect((await call('GET', `${base(A)}/${target.appointmentId}`, A.admin)).body).toMatchObject({ status: 'booked', startsAt: target.startsAt });
    expect((await call('GET', `${base(A)}/${target.appointmentId}`, A.staff)).status).toBe(200);
  });
});

describe('self-service appointments: the booking rate limit', () => {
  let gw: TestGateway;
  let C: TestTenant;
  beforeAll(async () => {
    gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, RATE_LIMIT_BOOKING: '2' });
    C = await createTestTenant(gw, (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token, 'Appointments limit');
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('counts the routes that make or change appointments in the booking category (per company), not the reads', async () => {
    const base = `/api/v1/companies/${C.companyId}/appointments`;
    const change = (path: string, token: string) => gw.call('POST', `${base}${path}`, { token, body: { nonsense: true }, headers: { 'idempotency-key': randomUUID() } });
    // the limiter decides before the body is read: refused input counts too
    expect([(await change('', C.admin)).status, (await change(`/${randomUUID()}/cancel`, C.staff)).status]).toEqual([400, 400]);
    const limited = await change(`/${randomUUID()}/outcome`, C.admin);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited.body).toMatchObject({ status: 429, type: 'about:blank' });
    expect((await change(`/${randomUUID()}/move`, C.staff)).status).toBe(429);
    // reading is the general category
    expect((await gw.call('GET', `${base}?limit=abc`, { token: C.admin })).status).toBe(400);
  });
});
