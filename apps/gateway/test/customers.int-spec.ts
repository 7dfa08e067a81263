import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MessageProducer } from '@receptionist/messaging';
import { CalcomState, RunningSimulator, calcomSimulator, startSimulator } from '@receptionist/simulators';
import { testInfra, waitFor } from '@receptionist/testing';
import { createTestTenant, startGateway, TestGateway, TestTenant } from './gateway-app';
import { signRetell } from '../src/retell/retell-signature';
// Customers live in booking, calls in voice-agent: the real ones answer over Kafka, Cal.com is simulated.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBooking, TestBooking } from '../../booking/test/booking-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { berlinAt, sendSetup, setupDoc, startProducer, wednesdayAhead } from '../../booking/test/fixtures';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startVoiceAgent, TestVoiceAgent } from '../../voice-agent/test/voice-agent-app';

jest.setTimeout(180000);

const ADMIN = { email: 'root@customers.test', password: 'correct horse battery staple' };
const RETELL_KEY = 'key_customers_test';
const ERIKA = '+4915112345678';

/** Customer records through the admin API, end to end (gateway → booking and voice-agent over Kafka). */
describe('self-service customers', () => {
  let sim: RunningSimulator<CalcomState>;
  let gw: TestGateway;
  let booking: TestBooking;
  let voice: TestVoiceAgent;
  let bookingDb: DataSource;
  let producer: MessageProducer;
  let A: TestTenant;
  let B: TestTenant;
  const ids: Record<string, string> = {};
  const day = wednesdayAhead();
  const call = (method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>) => gw.call(method, path, { token, body, headers });
  const customers = (t: TestTenant) => `/api/v1/companies/${t.companyId}/customers`;
  const names = (res: { body: { data: { name: string }[] } }) => res.body.data.map((c) => c.name);

  async function book(t: TestTenant, hhmm: string, customer: Record<string, string>): Promise<{ appointmentId: string; customerId: string }> {
    const res = await call('POST', `/api/v1/companies/${t.companyId}/appointments`, t.admin, { serviceId: 'beratung', start: berlinAt(day, hhmm), customer }, { 'idempotency-key': randomUUID() });
    expect([hhmm, res.status]).toEqual([hhmm, 201]);
    return { appointmentId: res.body.appointment.appointmentId, customerId: res.body.appointment.customer.customerId };
  }

  beforeAll(async () => {
    sim = await startSimulator(calcomSimulator, { port: 0 });
    gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, RETELLAI_API_KEY: RETELL_KEY, RATE_LIMIT_BOOKING: '1000' });
    const platform = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
    A = await createTestTenant(gw, platform, 'Customers A');
    B = await createTestTenant(gw, platform, 'Customers B');
    booking = await startBooking(
      { CALCOM_BASE_URL: sim.url, CALCOM_API_KEY: 'cal_test_customers', CALCOM_TEAM_SLUG: 'demo-praxis', CALCOM_REQUEST_TIMEOUT_MS: '2000', CALCOM_RETRY_BASE_DELAY_MS: '10' },
      { companies: [A.companyId, B.companyId] },
    );
    voice = await startVoiceAgent({}, { companies: [A.companyId, B.companyId] });
    bookingDb = new DataSource({ type: 'mariadb', host: testInfra.db.host, port: testInfra.db.port, username: testInfra.db.username, password: testInfra.db.password, database: booking.database });
    await bookingDb.initialize();
    producer = await startProducer();
    for (const t of [A, B]) await sendSetup(producer, setupDoc(t.companyId));
    for (const t of [A, B]) {
      await waitFor(async () => Number((await bookingDb.query('SELECT COUNT(*) AS n FROM service WHERE company_id = ?', [t.companyId]))[0].n) === 2, { timeoutMs: 30000, message: 'set-up applied' });
    }
    const erika = await book(A, '09:00', { name: 'Erika Mustermann', phone: ERIKA });
    const erikaByMail = await book(A, '10:00', { name: 'Erika Mustermann', email: 'erika@example.com' });
    await book(A, '11:00', { name: 'Max Li', phone: '+4915187654321', email: 'max.li@example.com' });
    await book(A, '13:00', { name: 'Anna Schmidt', phone: '+4930123456' });
    await book(B, '11:30', { name: 'Erika bei B', phone: ERIKA });
    Object.assign(ids, { erika: erika.customerId, erikaByMail: erikaByMail.customerId, erikaAppointment: erika.appointmentId, mailAppointment: erikaByMail.appointmentId });

    // One call from Erika's number, recorded by the real voice-agent from signed Retell webhooks.
    const agentId = `agent_cust_${randomBytes(4).toString('hex')}`;
    expect((await call('POST', `/api/v1/companies/${A.companyId}/agents`, platform, { agentId })).status).toBe(201);
    // A's own line: national numbers typed by staff (0151 …) are read in its country
    expect((await call('POST', `/api/v1/companies/${A.companyId}/phone-numbers`, platform, { number: `+49309${randomBytes(3).readUIntBE(0, 3) % 100000}`.padEnd(13, '0') })).status).toBe(201);
    ids.callId = `call_${randomBytes(6).toString('hex')}`;
    const start = Date.now() - 60_000;
    for (const event of ['call_started', 'call_ended']) {
      const raw = JSON.stringify({
        event,
        call: { call_id: ids.callId, agent_id: agentId, call_type: 'phone_call', direction: 'inbound', from_number: ERIKA, to_number: '+4930999000', call_status: event === 'call_ended' ? 'ended' : 'ongoing', start_timestamp: start, ...(event === 'call_ended' ? { end_timestamp: Date.now(), duration_ms: 60_000, disconnection_reason: 'user_hangup' } : {}) },
      });
      const res = await fetch(`${gw.url}/api/webhooks/retell`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-retell-signature': signRetell(raw, RETELL_KEY) }, body: raw });
      expect(res.status).toBe(204);
    }
    await waitFor(async () => (await call('GET', `/api/v1/companies/${A.companyId}/calls/${ids.callId}`, A.admin)).status === 200, { timeoutMs: 20000, message: 'call record' });
  });

  afterAll(async () => {
    await producer?.disconnect();
    await bookingDb?.destroy();
    await voice?.close();
    await booking?.close();
    await gw?.close();
    await sim?.close();
  });

  it('finds customers by a word of the name, a short name prefix, phone digits and e-mail — only the company\'s own', async () => {
    expect(names(await call('GET', `${customers(A)}?q=Mustermann`, A.admin))).toEqual(['Erika Mustermann', 'Erika Mustermann']);
    expect(names(await call('GET', `${customers(A)}?q=erik%20muster`, A.admin))).toEqual(['Erika Mustermann', 'Erika Mustermann']);
    expect(names(await call('GET', `${customers(A)}?q=Ma`, A.admin))).toEqual(['Max Li']);
    expect(names(await call('GET', `${customers(A)}?q=${encodeURIComponent('0151 1234')}`, A.admin))).toEqual(['Erika Mustermann']);
    expect(names(await call('GET', `${customers(A)}?q=${encodeURIComponent('030 12')}`, A.admin))).toEqual(['Anna Schmidt']);
    expect(names(await call('GET', `${customers(A)}?q=${encodeURIComponent('12345678')}`, A.admin))).toEqual(['Erika Mustermann']);
    expect(names(await call('GET', `${customers(A)}?q=${encodeURIComponent('+4930')}`, A.admin))).toEqual(['Anna Schmidt']);
    expect(names(await call('GET', `${customers(A)}?q=max.li@`, A.admin))).toEqual(['Max Li']);
    expect(names(await call('GET', `${customers(B)}?q=Erika`, B.admin))).toEqual(['Erika bei B']);
    expect(names(await call('GET', `${customers(A)}?q=nobody`, A.admin))).toEqual([]);

    // every customer, two per page, in name order
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call('GET', `${customers(A)}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, A.admin);
      expect(res.status).toBe(200);
      seen.push(...names(res));
      cursor = res.body.next;
    } while (cursor);
    expect(seen).toEqual(['Anna Schmidt', 'Erika Mustermann', 'Erika Mustermann', 'Max Li']);
    for (const [query, field] of [['limit=0', 'limit'], ['cursor=nonsense', 'cursor'], ['name=x', 'name']]) {
      const res = await call('GET', `${customers(A)}?${query}`, A.admin);
      expect([query, res.status, res.body.field]).toEqual([query, 400, field]);
    }
  });

  it('shows one customer with their appointments and calls', async () => {
    const res = await call('GET', `${customers(A)}/${ids.erika}`, A.admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ customerId: ids.erika, name: 'Erika Mustermann', phone: ERIKA, mergedInto: null });
    expect(res.body.appointments.map((a: { appointmentId: string }) => a.appointmentId)).toEqual([ids.erikaAppointment]);
    expect(res.body.calls.map((c: { callId: string }) => c.callId)).toEqual([ids.callId]);
  });

  it('edits a customer with validation; a number another customer has is a 409 that changes nothing', async () => {
    const bad = await call('PATCH', `${customers(A)}/${ids.erika}`, A.admin, { phone: '12', email: 'not-an-email' });
    expect([bad.status, bad.body.field]).toEqual([400, 'phone,email']);
    const none = await call('PATCH', `${customers(A)}/${ids.erika}`, A.admin, { phone: null, email: null });
    expect([none.status, none.body.field]).toEqual([400, 'phone']);
    const taken = await call('PATCH', `${customers(A)}/${ids.erika}`, A.admin, { phone: '+49 30 123456' });
    expect([taken.status, taken.body.field]).toEqual([409, 'phone']);
    expect((await call('GET', `${customers(A)}/${ids.erika}`, A.admin)).body).toMatchObject({ phone: ERIKA, email: null, language: 'de' });

    const ok = await call('PATCH', `${customers(A)}/${ids.erika}`, A.admin, { name: 'Erika Musterfrau', language: 'en' });
    expect([ok.status, ok.body.name, ok.body.language]).toEqual([200, 'Erika Musterfrau', 'en']);
    const audit = await call('GET', `/api/v1/companies/${A.companyId}/audit-log?action=customer.updated`, A.admin);
    expect(audit.body.data[0]).toMatchObject({ target: { type: 'customer', id: ids.erika }, changes: { name: { from: 'Erika Mustermann', to: 'Erika Musterfrau' } } });
  });

  it('merges two records of one person: appointments move, gaps are filled, the duplicate is retired', async () => {
    const merged = await call('POST', `${customers(A)}/${ids.erika}/merge`, A.admin, { duplicateId: ids.erikaByMail });
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({ movedAppointments: 1, customer: { customerId: ids.erika, phone: ERIKA, email: 'erika@example.com' }, merged: { customerId: ids.erikaByMail, mergedInto: ids.erika } });
    const erika = (await call('GET', `${customers(A)}/${ids.erika}`, A.admin)).body;
    expect(erika.appointments.map((a: { appointmentId: string }) => a.appointmentId).sort()).toEqual([ids.erikaAppointment, ids.mailAppointment].sort());
    expect((await call('GET', `/api/v1/companies/${A.companyId}/appointments/${ids.mailAppointment}`, A.admin)).body.customer.customerId).toBe(ids.erika);
    expect(names(await call('GET', `${customers(A)}?q=Muster`, A.admin))).toEqual(['Erika Musterfrau']);
    expect((await call('GET', `${customers(A)}/${ids.erikaByMail}`, A.admin)).body).toMatchObject({ mergedInto: ids.erika, phone: null, email: null });

    // again, or into itself, or with another company's record: refused, nothing changes
    expect((await call('POST', `${customers(A)}/${ids.erika}/merge`, A.admin, { duplicateId: ids.erikaByMail })).status).toBe(409);
    expect((await call('POST', `${customers(A)}/${ids.erika}/merge`, A.admin, { duplicateId: ids.erika })).body.field).toBe('duplicateId');
    const bErika = (await call('GET', `${customers(B)}?q=Erika`, B.admin)).body.data[0].customerId;
    const cross = await call('POST', `${customers(A)}/${ids.erika}/merge`, A.admin, { duplicateId: bErika });
    expect([cross.status, cross.body.field]).toEqual([400, 'duplicateId']);
    expect((await call('GET', `${customers(B)}/${bErika}`, B.admin)).body).toMatchObject({ mergedInto: null, phone: ERIKA });
  });

  it("answers 404 for another company's customer ids and changes nothing", async () => {
    expect((await call('GET', `${customers(B)}/${ids.erika}`, B.admin)).status).toBe(404);
    expect((await call('PATCH', `${customers(B)}/${ids.erika}`, B.admin, { name: 'Taken by B' })).status).toBe(404);
    expect((await call('POST', `${customers(B)}/${ids.erika}/merge`, B.admin, { duplicateId: ids.erikaByMail })).status).toBe(404);
    expect((await call('GET', `${customers(A)}/${ids.erika}`, B.admin)).status).toBe(404);
    expect((await call('GET', `${customers(A)}/${ids.erika}`, A.admin)).body.name).toBe('Erika Musterfrau');
  });
});
