import { randomBytes, randomUUID } from 'node:crypto';
import Holidays from 'date-holidays';
import { DataSource } from 'typeorm';
import { CalcomState, RunningSimulator, calcomSimulator, startSimulator } from '@receptionist/simulators';
import { Topics } from '@receptionist/contracts';
import { collectMessages, testInfra, testKafka, waitFor } from '@receptionist/testing';
import { signRetell } from '../src/retell/retell-signature';
import { startGateway, TestGateway } from './gateway-app';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tests only: booking's own in-process harness, no app code
import { startBooking, TestBooking } from '../../booking/test/booking-app';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tests only: voice-agent's own in-process harness, no app code
import { startVoiceAgent, TestVoiceAgent } from '../../voice-agent/test/voice-agent-app';

jest.setTimeout(180000);

const ADMIN = { email: 'ops@setup-api.test', password: 'operator password setup api' };
const RETELL_KEY = 'key_setup_api_test';
const TZ = 'Europe/Berlin';

/** `YYYY-MM-DD` and `dd.mm.yyyy` (as a caller says it) of a Berlin day `days` from now. */
function dayIn(days: number): { iso: string; spoken: string; weekday: number } {
  const d = new Date(Date.now() + days * 86400000);
  const [y, m, dd] = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d).split('-');
  return { iso: `${y}-${m}-${dd}`, spoken: `${dd}.${m}.${y}`, weekday: new Date(`${y}-${m}-${dd}T12:00:00Z`).getUTCDay() };
}
/** The first day at least `minDays` ahead that is `weekday` (0 = Sunday). */
function next(weekday: number, minDays: number) {
  for (let i = minDays; ; i++) if (dayIn(i).weekday === weekday) return dayIn(i);
}

/**
 * Issue 16, catalogue and settings: a company admin edits the set-up through the API (ETag/If-Match), the change
 * travels the import's path to booking, and the voice agent's next signed function call through the gateway sees
 * it. Real Kafka, MariaDB, Redis; booking and voice-agent in-process; Cal.com simulated.
 */
describe('set-up API: catalogue, hours, policies and settings edited by the company admin', () => {
  let sim: RunningSimulator<CalcomState>;
  let gw: TestGateway;
  let booking: TestBooking;
  let voice: TestVoiceAgent;
  let bookingDb: DataSource;
  let platform: string;
  let answers: Awaited<ReturnType<typeof collectMessages>>;
  const suffix = randomBytes(3).toString('hex');
  const companies: Record<'A' | 'B', { id: string; token: string; agentId: string; number: string }> = {} as never;
  const digits = () => String(Math.floor(1e6 + Math.random() * 8e6));
  const weekdays = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d) => [d, [['09:00', '18:00']]]));

  const companyFile = (key: 'A' | 'B') => ({
    company: { key: `setup-api-${key.toLowerCase()}-${suffix}`, name: `Salon ${key} ${suffix}`, timeZone: TZ, language: 'de', currency: 'EUR', calcomTeamSlug: 'salon-setup' },
    phoneNumbers: [{ number: companies[key].number }],
    retellAgents: [{ agentId: companies[key].agentId }],
    services: [
      { key: 'herren', name: 'Herrenhaarschnitt', aliases: ['Männerhaarschnitt'], calcomEventTypeId: 3002, durationMinutes: 30, priceMinor: 2900 },
      ...(key === 'A' ? [{ key: 'damen', name: 'Damenhaarschnitt', calcomEventTypeId: 3001, durationMinutes: 60, priceMinor: 4900 }] : [{ key: 'only-b', name: 'Bartpflege', calcomEventTypeId: 3003, durationMinutes: 30 }]),
    ],
    staff: [{ key: 'anna', name: 'Anna Berger', services: ['herren'] }],
    openingHours: weekdays,
    policies: { minNoticeMinutes: 60, cancellationNoticeHours: 24, maxReschedules: 2, bookingHorizonDays: 365 },
    pricing: { perMinuteMinor: 10 },
  });

  const fn = async (key: 'A' | 'B', route: string, args: Record<string, unknown>, from = '+4915110000001') => {
    const raw = JSON.stringify({ call: { call_id: `call_setup_${randomBytes(5).toString('hex')}`, agent_id: companies[key].agentId, from_number: from, to_number: companies[key].number }, args });
    const res = await fetch(`${gw.url}/api/retell/${route}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-retell-signature': signRetell(raw, RETELL_KEY) }, body: raw });
    expect(res.status).toBe(200);
    return (await res.json()) as { success: boolean; message: string; code?: string; data?: any };
  };
  const api = (method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>) => gw.call(method, `/api/v1/companies/${path}`, { token, body, headers });
  const revision = async (companyId: string) => ((await bookingDb.query('SELECT revision FROM booking_company WHERE company_id = ?', [companyId])) as { revision: string }[])[0]?.revision ?? null;
  /**
   * Waits until booking applied a set-up newer than `before` (read from booking itself, as the other suites do) and
   * its `company.setup.applied` answer is on the broker: the voice agent drops its cached catalogue on that answer.
   */
  const applied = async (companyId: string, before: string | null) => {
    await waitFor(async () => (await revision(companyId)) !== before, { timeoutMs: 30000, intervalMs: 200, message: 'booking applied the edit' });
    const now = await revision(companyId);
    await waitFor(() => answers.messages.some((m) => m.value?.toString().includes(`"revision":"${now}"`)), { timeoutMs: 30000, intervalMs: 100, message: 'applied answer published' });
  };
  const slotsOn = (reply: { data?: { options?: { start: string }[] } }, iso: string) => (reply.data?.options ?? []).filter((o) => o.start.startsWith(iso));

  beforeAll(async () => {
    answers = await collectMessages(testKafka(), [Topics.setupApplied.name], { fromBeginning: false });
    sim = await startSimulator(calcomSimulator, { port: 0 });
    const eventType = (id: number, slug: string, minutes: number) => ({ id, slug, title: slug, lengthInMinutes: minutes, slotIntervalMinutes: 30, teamSlug: 'salon-setup', timeZone: TZ, openingHours: [{ days: [1, 2, 3, 4, 5, 6], start: '09:00', end: '18:00' }] });
    const seeded = await fetch(`${sim.url}/__sim/calcom/seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ eventTypes: [eventType(3001, 'damen', 60), eventType(3002, 'herren', 30), eventType(3003, 'bart', 30)] }) });
    expect(seeded.status).toBe(200);
    gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, RETELLAI_API_KEY: RETELL_KEY, RATE_LIMIT_GENERAL: '10000', RATE_LIMIT_VOICE: '10000', RATE_LIMIT_BOOKING: '1000' });
    platform = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
    for (const key of ['A', 'B'] as const) {
      companies[key] = { id: '', token: '', agentId: `agent_setup_${key}_${suffix}`, number: `+4930${digits()}` };
      const res = await gw.call('POST', '/api/v1/companies/import?wait=0', { token: platform, body: companyFile(key) });
      expect(res.status).toBe(202);
      companies[key].id = res.body.companyId;
      const email = `admin-${key.toLowerCase()}-${suffix}@setup-api.test`;
      const user = await gw.call('POST', `/api/v1/companies/${companies[key].id}/users`, { token: platform, body: { email, name: `${key} admin`, password: `${key} admin password`, role: 'company_admin' } });
      expect(user.status).toBe(201);
      companies[key].token = (await gw.call('POST', '/api/v1/auth/login', { body: { email, password: `${key} admin password` } })).body.token;
    }
    const served = [companies.A.id, companies.B.id];
    [booking, voice] = await Promise.all([
      startBooking({ CALCOM_BASE_URL: sim.url, CALCOM_API_KEY: 'cal_test_setup_api', CALCOM_REQUEST_TIMEOUT_MS: '2000', CALCOM_RETRY_ATTEMPTS: '1' }, { companies: served }),
      startVoiceAgent({}, { companies: served }),
    ]);
    bookingDb = new DataSource({ type: 'mysql', ...testInfra.db, database: booking.database, timezone: 'Z' });
    await bookingDb.initialize();
    for (const key of ['A', 'B'] as const) {
      const res = await gw.call('POST', '/api/v1/companies/import?wait=0&resend=true', { token: platform, body: companyFile(key) });
      expect([200, 202]).toContain(res.status);
      await applied(companies[key].id, null);
    }
  });

  afterAll(async () => {
    await bookingDb?.destroy();
    await answers?.stop();
    await voice?.close();
    await booking?.close();
    await gw?.close();
    await sim?.close();
  });

  it("a changed week, a closed day and the state's public holidays reach the voice agent's next check_availability", async () => {
    const A = companies.A;
    const saturday = next(6, 2);
    // Booking's first Cal.com question of a fresh process can outlast a voice call's deadline: ask once ahead.
    const warm = await api('GET', `${A.id}/free-times?serviceId=herren&from=${encodeURIComponent(new Date(`${saturday.iso}T00:00:00Z`).toISOString())}`, A.token);
    expect(warm.status).toBe(200);
    const before = await fn('A', 'check-availability', { dienstleistung: 'Herrenhaarschnitt', datum: saturday.spoken, uhrzeit: '10:00' });
    expect(before).toMatchObject({ success: true, data: { available: true } });

    const read = await api('GET', `${A.id}/opening-hours`, A.token);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ weekly: weekdays, closures: [], holidays: null, upcomingHolidays: [] });
    const etag = read.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);

    // Saturdays closed from now on.
    const { sat: _saturday, ...weekOnly } = weekdays;
    let rev = await revision(A.id);
    const put = await api('PUT', `${A.id}/opening-hours`, A.token, { weekly: weekOnly }, { 'if-match': etag });
    expect([put.status, put.body.message]).toEqual([200, undefined]);
    expect(put.headers.get('etag')).not.toBe(etag);
    await applied(A.id, rev);
    const closedSaturday = await fn('A', 'check-availability', { dienstleistung: 'Herrenhaarschnitt', datum: saturday.spoken, uhrzeit: '10:00' });
    // The agent's own catalogue was dropped by the event: it says "closed then", not "taken".
    expect(closedSaturday).toMatchObject({ success: true, code: 'outside_opening_hours', data: { available: false } });
    expect(slotsOn(closedSaturday, saturday.iso)).toEqual([]);

    // A closed day (company holiday) and Bavaria's public holidays.
    const tuesday = next(2, 3);
    const open = await fn('A', 'check-availability', { dienstleistung: 'Herrenhaarschnitt', datum: tuesday.spoken, uhrzeit: '11:00' });
    expect(open).toMatchObject({ data: { available: true } });
    const holiday = (() => {
      const hd = new Holidays('DE', 'BY');
      const year = Number(dayIn(0).iso.slice(0, 4));
      const candidates = [...hd.getHolidays(year), ...hd.getHolidays(year + 1)].filter((h) => h.type === 'public').map((h) => h.date.slice(0, 10));
      for (let i = 2; i < 330; i++) {
        const d = dayIn(i);
        if (d.weekday >= 1 && d.weekday <= 5 && candidates.includes(d.iso) && d.iso !== tuesday.iso) return d;
      }
      throw new Error('no weekday public holiday in Bavaria within the horizon');
    })();
    const onHoliday = await fn('A', 'check-availability', { dienstleistung: 'Herrenhaarschnitt', datum: holiday.spoken, uhrzeit: '11:00' });
    expect(onHoliday).toMatchObject({ data: { available: true } });

    const etag2 = put.headers.get('etag')!;
    rev = await revision(A.id);
    const closure = await api('PUT', `${A.id}/opening-hours`, A.token, { weekly: weekOnly, closures: [{ from: tuesday.iso, to: tuesday.iso, reason: 'Betriebsausflug' }], holidays: { country: 'DE', state: 'BY' } }, { 'if-match': etag2 });
    expect([closure.status, closure.body.message]).toEqual([200, undefined]);
    expect(closure.body.upcomingHolidays).toEqual(expect.arrayContaining([expect.objectContaining({ date: holiday.iso })]));
    await applied(A.id, rev);
    for (const day of [tuesday, holiday]) {
      const answer = await fn('A', 'check-availability', { dienstleistung: 'Herrenhaarschnitt', datum: day.spoken, uhrzeit: '11:00' });
      expect([day.iso, answer.code, answer.data.available, slotsOn(answer, day.iso)]).toEqual([day.iso, 'outside_opening_hours', false, []]);
      expect(answer.message).toMatch(/haben wir leider geschlossen/);
    }
    // … and booking refuses it outright through the admin API too.
    const book = await api('POST', `${A.id}/appointments`, A.token, { serviceId: 'herren', start: new Date(`${tuesday.iso}T11:00:00+01:00`).toISOString(), customer: { name: 'Max Muster', phone: '+4915187654321' } }, { 'idempotency-key': randomUUID() });
    expect([book.status, book.body.code]).toEqual([422, 'outside_opening_hours']);
  });

  it('refuses a stale or missing If-Match and changes nothing', async () => {
    const A = companies.A;
    const read = await api('GET', `${A.id}/booking-policies`, A.token);
    const etag = read.headers.get('etag')!;
    const rev = await revision(A.id);
    const first = await api('PUT', `${A.id}/booking-policies`, A.token, { ...read.body, minNoticeMinutes: 120 }, { 'if-match': etag });
    expect([first.status, first.body.minNoticeMinutes]).toEqual([200, 120]);
    await applied(A.id, rev);
    // A second editor still holding the first ETag.
    const stale = await api('PUT', `${A.id}/booking-policies`, A.token, { ...read.body, minNoticeMinutes: 0 }, { 'if-match': etag });
    expect(stale.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect([stale.status, stale.body.field, stale.body.code]).toEqual([409, 'If-Match', 'stale']);
    const missing = await api('PUT', `${A.id}/booking-policies`, A.token, { ...read.body, minNoticeMinutes: 0 });
    expect([missing.status, missing.body.field]).toEqual([428, 'If-Match']);
    const now = await api('GET', `${A.id}/booking-policies`, A.token);
    expect([now.body.minNoticeMinutes, now.headers.get('etag')]).toEqual([120, first.headers.get('etag')]);
    const [row] = await bookingDb.query('SELECT policies FROM booking_company WHERE company_id = ?', [A.id]);
    expect((typeof row.policies === 'string' ? JSON.parse(row.policies) : row.policies).minNoticeMinutes).toBe(120);
  });

  it('creates, changes and removes services and staff; a service with a future appointment answers 409 with what to do', async () => {
    const A = companies.A;
    const revBefore = await revision(A.id);
    const created = await api('POST', `${A.id}/services`, A.token, { key: 'bart', name: 'Bartpflege', aliases: ['Bart trimmen'], calcomEventTypeId: 3003, durationMinutes: 30, priceMinor: 1500 });
    expect([created.status, created.body.message]).toEqual([201, undefined]);
    await applied(A.id, revBefore);
    expect((await bookingDb.query('SELECT 1 FROM service WHERE company_id = ? AND `key` = ? AND active = 1', [A.id, 'bart'])).length).toBe(1);
    expect((await api('GET', `${A.id}/free-times?serviceId=bart`, A.token)).status).toBe(200); // warm, as above
    const synonym = await fn('A', 'check-availability', { dienstleistung: 'Bart trimmen', datum: next(3, 2).spoken, uhrzeit: '10:00' });
    expect(synonym).toMatchObject({ success: true, data: { serviceName: 'Bartpflege' } });
    const dup = await api('POST', `${A.id}/services`, A.token, { key: 'bart', name: 'Bart 2', calcomEventTypeId: 3004, durationMinutes: 30 });
    expect([dup.status, dup.body.field]).toEqual([409, 'key']);

    // Anna gets the new service; the list carries each entry's ETag.
    const anna = await api('GET', `${A.id}/staff/anna`, A.token);
    const staffPut = await api('PUT', `${A.id}/staff/anna`, A.token, { name: 'Anna Berger', services: ['herren', 'bart'] }, { 'if-match': anna.headers.get('etag')! });
    expect([staffPut.status, staffPut.body.services]).toEqual([200, ['herren', 'bart']]);
    const list = await api('GET', `${A.id}/staff`, A.token);
    expect(list.body).toMatchObject({ data: [{ key: 'anna', etag: staffPut.headers.get('etag') }], next: null });

    // A future appointment on Damenhaarschnitt: removing it is refused with what to do.
    const wednesday = next(3, 2);
    const booked = await api('POST', `${A.id}/appointments`, A.token, { serviceId: 'damen', start: new Date(`${wednesday.iso}T14:00:00+01:00`).toISOString(), customer: { name: 'Erika Mustermann', phone: '+4915112345678' } }, { 'idempotency-key': randomUUID() });
    expect([booked.status, booked.body.message]).toEqual([201, undefined]);
    const damen = await api('GET', `${A.id}/services/damen`, A.token);
    const refused = await api('DELETE', `${A.id}/services/damen`, A.token, undefined, { 'if-match': damen.headers.get('etag')! });
    expect([refused.status, refused.body.code, refused.body.appointmentIds]).toEqual([409, 'has_future_appointments', [booked.body.appointment.appointmentId]]);
    expect(refused.body.message).toMatch(/cancel or move/);
    expect((await api('GET', `${A.id}/services/damen`, A.token)).status).toBe(200);

    // Without appointments it goes (and leaves Anna's list); booking keeps it inactive.
    const rev = await revision(A.id);
    const bart = await api('GET', `${A.id}/services/bart`, A.token);
    const removed = await api('DELETE', `${A.id}/services/bart`, A.token, undefined, { 'if-match': bart.headers.get('etag')! });
    expect(removed.status).toBe(204);
    expect((await api('GET', `${A.id}/services/bart`, A.token)).status).toBe(404);
    expect((await api('GET', `${A.id}/staff/anna`, A.token)).body.services).toEqual(['herren']);
    await applied(A.id, rev);
    expect((await bookingDb.query('SELECT active FROM service WHERE company_id = ? AND `key` = ?', [A.id, 'bart']))[0].active).toBe(0);
  });

  it("a staff member's working hours limit what the agent offers with her, and for a service only she performs", async () => {
    const A = companies.A;
    const wednesday = next(3, 2);
    const anna = await api('GET', `${A.id}/staff/anna`, A.token);
    const rev = await revision(A.id);
    const afternoons = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['14:00', '18:00']]]));
    const put = await api('PUT', `${A.id}/staff/anna`, A.token, { name: 'Anna Berger', services: ['herren'], workingHours: afternoons }, { 'if-match': anna.headers.get('etag')! });
    expect([put.status, put.body.workingHours]).toEqual([200, afternoons]);
    await applied(A.id, rev);
    const morning = await fn('A', 'check-availability', { dienstleistung: 'Herrenhaarschnitt', mitarbeiter: 'Anna', datum: wednesday.spoken, uhrzeit: '10:00' });
    expect(morning.data.available).toBe(false);
    expect((morning.data.options as { start: string }[]).every((o) => Number(o.start.slice(11, 13)) >= 14)).toBe(true);
    const afternoon = await fn('A', 'check-availability', { dienstleistung: 'Herrenhaarschnitt', mitarbeiter: 'Anna', datum: wednesday.spoken, uhrzeit: '15:00' });
    expect(afternoon).toMatchObject({ success: true, data: { available: true } });
    // Nobody else performs it: without a wish for her, the morning is not offered either.
    const anyone = await fn('A', 'check-availability', { dienstleistung: 'Herrenhaarschnitt', datum: wednesday.spoken, uhrzeit: '10:00' });
    expect(anyone.data.available).toBe(false);
  });

  it("answers another company's ids 404 and bad bodies 400 naming every field, changing nothing", async () => {
    const [A, B] = [companies.A, companies.B];
    expect((await api('GET', `${B.id}/services`, A.token)).status).toBe(404);
    expect((await api('GET', `${B.id}/opening-hours`, A.token)).status).toBe(404);
    expect((await api('PUT', `${B.id}/booking-policies`, A.token, { minNoticeMinutes: 0 }, { 'if-match': '*' })).status).toBe(404);
    // B's own service key is not A's.
    expect((await api('GET', `${A.id}/services/only-b`, A.token)).status).toBe(404);
    expect((await api('PUT', `${A.id}/services/only-b`, A.token, { name: 'x', calcomEventTypeId: 1, durationMinutes: 30 }, { 'if-match': '*' })).status).toBe(404);
    expect((await api('DELETE', `${A.id}/staff/nobody`, A.token, undefined, { 'if-match': '*' })).status).toBe(404);

    const rev = await revision(A.id);
    const before = (await api('GET', `${A.id}/services`, A.token)).body;
    const bad = await api('POST', `${A.id}/services`, A.token, { key: 'Not A Key', name: '', durationMinutes: 2, colour: 'red' });
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['colour', 'durationMinutes', 'key', 'name']);
    // Valid alone, wrong within the set-up: a service nobody offers, named as the request's field.
    const anna = await api('GET', `${A.id}/staff/anna`, A.token);
    const unknown = await api('PUT', `${A.id}/staff/anna`, A.token, { name: 'Anna Berger', services: ['herren', 'massage'] }, { 'if-match': anna.headers.get('etag')! });
    expect([unknown.status, unknown.body.field]).toEqual([400, 'services[1]']);
    const hours = await api('GET', `${A.id}/opening-hours`, A.token);
    const badHours = await api('PUT', `${A.id}/opening-hours`, A.token, { weekly: { mon: [['18:00', '09:00']], funday: [] }, closures: [{ from: '2026-13-01', to: '2026-01-01' }], holidays: { country: 'DE', state: 'XX' } }, { 'if-match': hours.headers.get('etag')! });
    expect(badHours.status).toBe(400);
    expect(badHours.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['weekly.mon.0', 'weekly.funday', 'closures.0.from', 'holidays.state']));
    expect((await api('GET', `${A.id}/services`, A.token)).body).toEqual(before);
    expect(await revision(A.id)).toBe(rev);
  });

  it('keeps agent and notification settings, and previews a message text with sample data', async () => {
    const A = companies.A;
    const agent = await api('GET', `${A.id}/agent-settings`, A.token);
    expect(agent.body).toEqual({ greeting: {}, languages: ['de'], transfer: null });
    const changed = await api('PUT', `${A.id}/agent-settings`, A.token, { greeting: { de: 'Salon A, guten Tag!' }, languages: ['de', 'en'], transfer: { number: '+49 30 1234567', hours: { mon: [['09:00', '12:00']] } } }, { 'if-match': agent.headers.get('etag')! });
    expect([changed.status, changed.body.transfer]).toEqual([200, { number: '+49301234567', hours: { mon: [['09:00', '12:00']] } }]);

    const settings = await api('GET', `${A.id}/notification-settings`, A.token);
    expect(settings.body).toMatchObject({ channels: ['sms'], remindersMinutesBefore: [1440] });
    const body = { ...settings.body, remindersMinutesBefore: [2880, 120], quietHours: ['21:00', '08:00'], templates: [{ kind: 'reminder', language: 'de', body: 'Bis morgen, {{customer_name}}: {{service_name}} um {{time}} Uhr.' }] };
    const put = await api('PUT', `${A.id}/notification-settings`, A.token, body, { 'if-match': settings.headers.get('etag')! });
    expect([put.status, put.body.message]).toEqual([200, undefined]);
    const own = await api('POST', `${A.id}/notification-settings/preview`, A.token, { kind: 'reminder', language: 'de' });
    expect(own.body).toMatchObject({ source: 'company', language: 'de' });
    expect(own.body.text).toMatch(/^Bis morgen, Erika Mustermann: Herrenhaarschnitt um \d\d:\d\d Uhr\.$/);
    const builtIn = await api('POST', `${A.id}/notification-settings/preview`, A.token, { kind: 'confirmation', language: 'en' });
    expect(builtIn.body.source).toBe('built-in');
    expect(builtIn.body.text).toContain(`at Salon A ${suffix}`);
    const bad = await api('POST', `${A.id}/notification-settings/preview`, A.token, { kind: 'poem', language: 'klingon' });
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['kind', 'language']);
  });
});
