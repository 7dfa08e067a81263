import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Topics, createEnvelope } from '@receptionist/contracts';
import { MessageProducer } from '@receptionist/messaging';
import { CalcomState, RunningSimulator, calcomSimulator, startSimulator } from '@receptionist/simulators';
import { testInfra, testKafka, waitFor } from '@receptionist/testing';
import { signRetell } from '../src/retell/retell-signature';
import { startGateway, TestGateway } from './gateway-app';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tests only: booking's own in-process harness, no app code
import { startBooking, TestBooking } from '../../booking/test/booking-app';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tests only: voice-agent's own in-process harness, no app code
import { startVoiceAgent, TestVoiceAgent } from '../../voice-agent/test/voice-agent-app';

jest.setTimeout(180000);

const GERMAN_WEEKDAYS = ['Sonntag', 'Montag', 'Dienstag', 'Mittwoch', 'Donnerstag', 'Freitag', 'Samstag'];
const ADMIN = { email: 'ops@caller-experience.test', password: 'operator password caller experience' };
const RETELL_KEY = 'key_caller_experience_test';
const TZ = 'Europe/Berlin';

/** dd.mm.yyyy of the first `weekday` (0 = Sunday) at least `minDays` ahead in Berlin. */
function dayAhead(weekday: number, minDays: number): string {
  const d = new Date(Date.now() + minDays * 86400000);
  while (d.getUTCDay() !== weekday) d.setUTCDate(d.getUTCDate() + 1);
  return `${String(d.getUTCDate()).padStart(2, '0')}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${d.getUTCFullYear()}`;
}
const isoOf = (day: string) => day.split('.').reverse().join('-');
const berlinToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(new Date());

/**
 * Issue 20 ("caller experience") through the gateway's signed Retell routes, with the real voice-agent and booking
 * (in-process, real Kafka, MariaDB, Redis) and the Cal.com simulator: a body that is not JSON, the seed's remaining
 * functions (parse_date, get_opening_hours, get_service_info, reserve_slot / release_slot_reservation) by the names
 * and argument names the seed's agents send.
 */
describe('caller experience, end to end through the gateway', () => {
  let sim: RunningSimulator<CalcomState>;
  let gw: TestGateway;
  let booking: TestBooking;
  let voice: TestVoiceAgent;
  let bookingDb: DataSource;
  let producer: MessageProducer;
  let platform: string;
  const suffix = randomBytes(3).toString('hex');
  const digits = () => String(Math.floor(1e6 + Math.random() * 8e6));
  const company = { id: '', agentId: `agent_cx_${suffix}`, number: `+4930${digits()}`, branchNumber: `+4940${digits()}` };

  const eventType = (id: number, slug: string, minutes: number) => ({
    id,
    slug,
    title: slug,
    lengthInMinutes: minutes,
    slotIntervalMinutes: 30,
    teamSlug: 'salon-cx',
    timeZone: TZ,
    openingHours: [{ days: [1, 2, 3, 4, 5, 6], start: '09:00', end: '18:00' }],
  });
  const weekdays = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '18:00']]]));
  const weekdayKeys = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
  /** Three days ahead in Berlin: neither today nor tomorrow. */
  const staffedIndex = (new Date(`${berlinToday()}T12:00:00Z`).getUTCDay() + 3) % 7;
  const staffedDay = weekdayKeys[staffedIndex];
  const companyFile = () => ({
    company: { key: `cx-${suffix}`, name: 'Salon CX', timeZone: TZ, language: 'de', currency: 'EUR', calcomTeamSlug: 'salon-cx' },
    branches: [
      {
        key: 'hafen',
        name: 'Filiale Hafen',
        openingHours: { ...weekdays, wed: [['12:00', '20:00']], sat: [['10:00', '14:00']] },
        // Staffed around the clock, so the test does not depend on the hour it runs.
        transferNumbers: [{ number: '+494099990001', label: 'Empfang Hafen', hours: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '23:59']]])) }],
      },
    ],
    // The company's own line is staffed only on one weekday morning, never today.
    transferNumbers: [{ number: '+493099990002', hours: { [staffedDay]: [['09:00', '12:00']] } }],
    phoneNumbers: [{ number: company.number }, { number: company.branchNumber, branch: 'hafen' }],
    retellAgents: [{ agentId: company.agentId }],
    services: [
      { key: 'herren', name: 'Herrenhaarschnitt', aliases: ['Männerhaarschnitt'], calcomEventTypeId: 3102, durationMinutes: 30, priceMinor: 2900 },
      { key: 'faerben', name: 'Färben', calcomEventTypeId: 3103, durationMinutes: 60, priceMinor: 5950 },
      { key: 'faerben-schneiden', name: 'Färben + Schneiden', priceMinor: null, steps: [{ service: 'faerben', staff: ['carla'] }, { service: 'herren', staff: ['anna', 'ben'] }] },
    ],
    staff: [
      { key: 'anna', name: 'Anna Berger', services: ['herren'] },
      { key: 'ben', name: 'Ben Koch', services: ['herren'] },
      { key: 'carla', name: 'Carla Stein', services: ['faerben'] },
    ],
    openingHours: { ...weekdays, sat: [['09:00', '18:00']] },
    policies: { minNoticeMinutes: 60, cancellationNoticeHours: 24, maxReschedules: 2, bookingHorizonDays: 60 },
    pricing: { perMinuteMinor: 10 },
  });

  /** A signed Retell tool call: the dispatcher with `name`, or a fixed route. */
  const call = async (fn: string, callId: string, args: Record<string, unknown>, options: { to?: string; from?: string; route?: string } = {}) => {
    const raw = JSON.stringify({
      ...(options.route ? {} : { name: fn }),
      call: { call_id: callId, agent_id: company.agentId, from_number: options.from ?? '+4915120000001', to_number: options.to ?? company.number },
      args,
    });
    const res = await fetch(`${gw.url}${options.route ?? '/api/webhooks/retell/function'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-retell-signature': signRetell(raw, RETELL_KEY) },
      body: raw,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { success: boolean; message: string; code?: string; data?: any };
    expect(body.message).not.toMatch(/error|exception|undefined|null|\{|\[object|NaN/i);
    return body;
  };

  beforeAll(async () => {
    sim = await startSimulator(calcomSimulator, { port: 0 });
    const seeded = await fetch(`${sim.url}/__sim/calcom/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ eventTypes: [eventType(3102, 'herrenhaarschnitt', 30), eventType(3103, 'faerben', 60)] }),
    });
    expect(seeded.status).toBe(200);
    gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, RETELLAI_API_KEY: RETELL_KEY, RATE_LIMIT_GENERAL: '10000', RATE_LIMIT_VOICE: '10000' });
    platform = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
    const res = await gw.call('POST', '/api/v1/companies/import?wait=0', { token: platform, body: companyFile() });
    expect([res.status, res.body.message]).toEqual([202, undefined]);
    company.id = res.body.companyId;
    [booking, voice] = await Promise.all([
      startBooking({ CALCOM_BASE_URL: sim.url, CALCOM_API_KEY: 'cal_test_cx', CALCOM_REQUEST_TIMEOUT_MS: '2000', CALCOM_RETRY_ATTEMPTS: '1' }, { companies: [company.id] }),
      startVoiceAgent({}, { companies: [company.id] }),
    ]);
    bookingDb = new DataSource({ type: 'mysql', ...testInfra.db, database: booking.database, timezone: 'Z' });
    await bookingDb.initialize();
    const again = await gw.call('POST', '/api/v1/companies/import?wait=0&resend=true', { token: platform, body: companyFile() });
    expect([200, 202]).toContain(again.status);
    await waitFor(async () => (await bookingDb.query('SELECT revision FROM booking_company WHERE company_id = ?', [company.id])).length === 1, {
      timeoutMs: 60000,
      intervalMs: 300,
      message: 'booking set-up',
    });
    producer = new MessageProducer(testKafka());
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await bookingDb?.destroy();
    await voice?.close();
    await booking?.close();
    await gw?.close();
    await sim?.close();
  });

  it('answers a signed function call whose body is not JSON with a spoken "please repeat", HTTP 200', async () => {
    for (const path of ['/api/webhooks/retell/function', '/api/retell/check-availability']) {
      for (const raw of ['{"name": "check_availability", "args": {', '"just a string"', '[1,2]']) {
        const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-retell-signature': signRetell(raw, RETELL_KEY) }, body: raw });
        expect([path, raw, res.status]).toEqual([path, raw, 200]);
        expect(await res.json()).toEqual({ success: false, code: 'unreadable_request', message: expect.stringMatching(/noch einmal sagen\?$/) });
      }
    }
    // Unsigned or wrongly signed: still refused before anything is read.
    const raw = '{"name": "check_availability", ';
    const unsigned = await fetch(`${gw.url}/api/webhooks/retell/function`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
    expect(unsigned.status).toBe(401);
    const forged = await fetch(`${gw.url}/api/webhooks/retell/function`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-retell-signature': signRetell(raw, 'another key') }, body: raw });
    expect(forged.status).toBe(401);
    // Every other route keeps the 400 problem.
    const admin = await fetch(`${gw.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' });
    expect(admin.status).toBe(400);
  });

  it('parse_date: what the agent heard as a date in the company’s zone, or the question to ask', async () => {
    const callId = `call_parse_${suffix}`;
    const day = dayAhead(4, 2);
    const exact = await call('parse_date', callId, { date_string: day, uhrzeit: '14 Uhr' });
    expect(exact).toMatchObject({ success: true, data: { date: isoOf(day), displayDate: day, dayName: 'Donnerstag', time: '14:00', timeZone: TZ } });
    expect(exact.data.datetime).toMatch(new RegExp(`^${isoOf(day)}T14:00:00\\+0[12]:00$`));
    expect(exact.message).toMatch(/^Das wäre Donnerstag, den \d+\. \w+ um 14:00 Uhr\.$/);
    // The seed's v17 name and the German argument.
    const tomorrow = await call('parse_date_v17', callId, { datum: 'morgen' });
    const t = new Date(Date.parse(`${berlinToday()}T12:00:00Z`) + 86400000).toISOString().slice(0, 10);
    expect(tomorrow).toMatchObject({ success: true, data: { date: t } });
    // English: the English wording when the agent reports English.
    const english = await call('parse_date', callId, { date: 'next friday', language: 'en-US' });
    expect(english.message).toMatch(/^That would be Friday, \d+ \w+\.$/);
    // A week without a day: which day? An unknown word after it: not understood, asked again.
    const week = await call('parse_date', callId, { datum: 'nächste Woche' });
    expect(week).toMatchObject({ success: true, code: 'needs_day', data: { range: { from: expect.any(String), to: expect.any(String) } } });
    expect(week.message).toBe('An welchem Tag nächste Woche hätten Sie gern einen Termin?');
    const unknown = await call('parse_date', callId, { datum: 'nächste Woche Xyz' });
    expect(unknown).toMatchObject({ success: false, code: 'invalid_date' });
    expect(unknown.message).toMatch(/Datum habe ich leider nicht verstanden/);
    expect(await call('parse_date', callId, { datum: '01.01.2020' })).toMatchObject({ success: false, code: 'date_in_past' });
    expect(await call('parse_date', callId, {})).toMatchObject({ success: false, code: 'missing_fields' });
  });

  it('get_opening_hours: the called branch’s hours, today and the week, and a day asked about', async () => {
    const callId = `call_hours_${suffix}`;
    const company_ = await call('get_opening_hours', callId, {});
    expect(company_.data.branch).toBeNull();
    expect(company_.message).toMatch(/Unsere Öffnungszeiten: Montag bis Samstag von 9 bis 18 Uhr, Sonntag geschlossen\./);
    expect(company_.data.days).toHaveLength(7);
    expect(company_.data.days[0].date).toBe(berlinToday());

    // Called on the branch's number: the branch's own hours.
    const branch = await call('get_opening_hours', callId, {}, { to: company.branchNumber });
    expect(branch.data.branch).toMatchObject({ key: 'hafen' });
    expect(branch.message).toMatch(/Unsere Öffnungszeiten: Montag bis Dienstag von 9 bis 18 Uhr, Mittwoch von 12 bis 20 Uhr, Donnerstag bis Freitag von 9 bis 18 Uhr, Samstag von 10 bis 14 Uhr, Sonntag geschlossen\./);
    // Asked for a Saturday at the branch, with the English alias of the function.
    const saturday = dayAhead(6, 1);
    const sat = await call('get_business_hours', callId, { datum: saturday }, { to: company.branchNumber });
    expect(sat.data.days).toEqual([expect.objectContaining({ date: isoOf(saturday), open: true, hours: [['10:00', '14:00']], holiday: null })]);
    expect(sat.message).toMatch(/^Am Samstag, den \d+\.\d+\., haben wir von 10 bis 14 Uhr geöffnet\./);
    const sunday = await call('get_opening_hours', callId, { date: dayAhead(0, 1) });
    expect(sunday.message).toMatch(/haben wir geschlossen\./);
    // A public holiday is said as such (1 January, whatever weekday it is).
    const year = Number(berlinToday().slice(0, 4)) + 1;
    const newYear = await call('get_opening_hours', callId, { datum: `01.01.${year}` });
    expect(newYear.data.days[0]).toMatchObject({ open: false, holiday: 'Neujahr' });
    expect(newYear.message).toMatch(/ist Feiertag \(Neujahr\), da haben wir geschlossen\./);
  });

  it('get_service_info: duration, price, what it includes and who does it', async () => {
    const callId = `call_info_${suffix}`;
    const cut = await call('get_service_info', callId, { dienstleistung: 'Männerhaarschnitt' });
    expect(cut).toMatchObject({ success: true, data: { serviceName: 'Herrenhaarschnitt', durationMinutes: 30, priceMinor: 2900, currency: 'EUR', staff: ['Anna Berger', 'Ben Koch'] } });
    expect(cut.message).toBe('Herrenhaarschnitt dauert etwa 30 Minuten und kostet 29 Euro. Das macht bei uns Anna Berger und Ben Koch. Möchten Sie dafür einen Termin vereinbaren?');
    const colour = await call('get_service_info', callId, { service_name: 'Färben', language: 'en' });
    expect(colour.message).toMatch(/^Färben takes about 60 minutes and costs 59\.50 euros\. It is done by Carla Stein\./);
    const composite = await call('get_service_info', callId, { service: 'Färben + Schneiden' });
    expect(composite.data).toMatchObject({ durationMinutes: 90, priceMinor: null, includes: ['Färben', 'Herrenhaarschnitt'] });
    expect(composite.message).toMatch(/Dazu gehören Färben und Herrenhaarschnitt\./);
    expect(composite.message).toMatch(/den Preis nennen wir Ihnen gern vor Ort/);
    expect(await call('get_service_info', callId, { dienstleistung: 'Zahnreinigung' })).toMatchObject({ success: false, code: 'unknown_service' });
  });

  it('reserve_slot holds a time for this call only; released on request, on booking and at the call’s end', async () => {
    const day = dayAhead(2, 2);
    const [a, b, c] = ['a', 'b', 'c'].map((x) => `call_hold_${x}_${suffix}`);
    const want = (time: string) => ({ dienstleistung: 'Herrenhaarschnitt', datum: day, uhrzeit: time });

    const held = await call('reserve_slot', a, want('10:00'));
    expect(held).toMatchObject({ success: true, data: { held: true, serviceName: 'Herrenhaarschnitt', expiresAt: expect.any(String) } });
    expect(held.message).toMatch(/^Alles klar, ich halte den Termin am .* um 10:00 Uhr kurz für Sie fest\./);
    expect(Date.parse(held.data.expiresAt) - Date.now()).toBeGreaterThan(200_000);
    // Another caller neither sees it free, nor holds it, nor books it.
    const seen = await call('check_availability', b, want('10:00'), { from: '+4915120000002' });
    expect(seen.data.available).toBe(false);
    expect((seen.data.options as { start: string }[]).every((o) => !o.start.startsWith(`${isoOf(day)}T10:00`))).toBe(true);
    expect(await call('reserve_slot', b, want('10:00'), { from: '+4915120000002' })).toMatchObject({ success: false, code: 'slot_taken', data: { held: false } });
    const refused = await call('book_appointment', b, { ...want('10:00'), name: 'Bruno Zweiter' }, { from: '+4915120000002' });
    expect(refused.data?.booked).not.toBe(true);
    // The holding call still sees it free, and books it.
    expect((await call('check_availability', a, want('10:00'))).data.available).toBe(true);
    const mine = await call('book_appointment', a, { ...want('10:00'), name: 'Alma Erste' });
    expect(mine).toMatchObject({ success: true, data: { booked: true } });

    // Released on request: free for the others at once.
    expect(await call('reserve_slot', a, want('11:00'))).toMatchObject({ success: true, data: { held: true } });
    expect((await call('check_availability', b, want('11:00'), { from: '+4915120000002' })).data.available).toBe(false);
    const released = await call('release_slot_reservation', a, {});
    expect(released).toMatchObject({ success: true, data: { released: 1 } });
    expect(released.message).toMatch(/^Der Termin wurde wieder freigegeben\./);
    expect((await call('check_availability', b, want('11:00'), { from: '+4915120000002' })).data.available).toBe(true);
    expect(await call('release_slot_reservation', a, {})).toMatchObject({ success: true, data: { released: 0 } });

    // Released when the call ends (call.completed).
    expect(await call('hold_slot', c, want('12:00'), { from: '+4915120000003' })).toMatchObject({ success: true, data: { held: true } });
    expect((await call('check_availability', b, want('12:00'), { from: '+4915120000002' })).data.available).toBe(false);
    const now = new Date();
    await producer.publish({
      topic: Topics.callCompleted.name,
      key: c,
      envelope: createEnvelope({
        type: Topics.callCompleted.name,
        source: 'voice-agent',
        companyId: company.id,
        subject: c,
        data: { callId: c, agentId: company.agentId, fromNumber: '+4915120000003', toNumber: company.number, direction: 'inbound', startedAt: new Date(now.getTime() - 60000).toISOString(), endedAt: now.toISOString(), durationSeconds: 60, billableSeconds: 60, disconnectionReason: 'user_hangup', bookingIds: [] },
      }),
    });
    await waitFor(async () => (await call('check_availability', b, want('12:00'), { from: '+4915120000002' })).data.available === true, { timeoutMs: 20000, intervalMs: 500, message: 'hold released at call end' });
  });

  it('hands a caller to a person: the number staffed now, else a call back with when', async () => {
    // The branch's number (staffed now) as Retell's transfer target, from initialize_call and transfer_to_human.
    const branchCall = `call_handoff_branch_${suffix}`;
    const init = await call('initialize_call', branchCall, {}, { to: company.branchNumber });
    expect(init.data.dynamicVariables).toMatchObject({ transfer_number: '+494099990001', transfer_available: 'true' });
    expect(init.data.handoff).toEqual({ available: true, number: '+494099990001', label: 'Empfang Hafen' });
    const put = await call('transfer_to_human', branchCall, { grund: 'Frage zur Rechnung' }, { to: company.branchNumber });
    expect(put).toMatchObject({ success: true, code: 'transfer', data: { transfer: true, number: '+494099990001' } });
    expect(put.message).toBe('Einen Moment bitte, ich verbinde Sie mit Empfang Hafen.');

    // The company's line is not staffed now: no transfer number, a call back recorded, and when it will be.
    const lineCall = `call_handoff_line_${suffix}`;
    const caller = '+4915120000044';
    const noone = await call('initialize_call', lineCall, {}, { from: caller });
    expect(noone.data.dynamicVariables).toMatchObject({ transfer_number: '', transfer_available: 'false' });
    const later = await call('speak_to_human', lineCall, { name: 'Hanna Hand', reason: 'Reklamation' }, { from: caller });
    expect(later).toMatchObject({ success: true, code: 'callback_recorded', data: { transfer: false, callbackRecorded: true } });
    expect(later.data.callbackFrom).toMatch(/T09:00:00\+0[12]:00$/);
    expect(later.message).toMatch(new RegExp(`^Gerade ist leider niemand von uns erreichbar\\. Ich habe Ihren Rückrufwunsch notiert, wir rufen Sie am ${GERMAN_WEEKDAYS[staffedIndex]}, den \\d+\\. \\S+ ab 9 Uhr zurück\\.`));
    const english = await call('transfer_to_human', `${lineCall}_en`, { language: 'en' }, { from: caller });
    expect(english.message).toMatch(new RegExp(`we will call you on ${['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][staffedIndex]}, \\d+ \\S+ from 9 am\\.`));
    const requests = await waitFor(
      async () => {
        const rows = await bookingDb.query("SELECT reason, phone, name, wish FROM callback_request WHERE company_id = ? AND reason = 'handoff'", [company.id]);
        return rows.length >= 1 ? rows : null;
      },
      { timeoutMs: 20000, intervalMs: 300, message: 'handoff callback request' },
    );
    expect(requests.find((r: any) => r.name === 'Hanna Hand')).toMatchObject({ phone: caller, wish: expect.stringMatching(/Mitarbeiter.*Reklamation/) });
    // Without any number to call back: asked for one, nothing recorded.
    expect(await call('transfer_to_human', `call_handoff_anon_${suffix}`, {}, { from: 'anonymous' })).toMatchObject({ success: false, code: 'missing_fields', data: { missing: ['phone'] } });

    // On the call record: the hand-off and what came of it (Retell ended the AI leg with the transfer).
    const send = (payload: unknown) => {
      const raw = JSON.stringify(payload);
      return fetch(`${gw.url}/api/webhooks/retell`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-retell-signature': signRetell(raw, RETELL_KEY) }, body: raw });
    };
    const base = { agent_id: company.agentId, call_type: 'phone_call', direction: 'inbound', from_number: '+4915120000001', to_number: company.branchNumber };
    const start = Date.now() - 90_000;
    expect((await send({ event: 'call_started', call: { ...base, call_id: branchCall, call_status: 'ongoing', start_timestamp: start } })).status).toBe(204);
    expect((await send({ event: 'call_ended', call: { ...base, call_id: branchCall, call_status: 'ended', start_timestamp: start, end_timestamp: start + 60_000, duration_ms: 60_000, disconnection_reason: 'call_transfer', transcript: 'Agent: Einen Moment bitte.' } })).status).toBe(204);
    expect((await send({ event: 'call_started', call: { ...base, call_id: lineCall, to_number: company.number, call_status: 'ongoing', start_timestamp: start } })).status).toBe(204);
    const record = (callId: string) => gw.call('GET', `/api/v1/companies/${company.id}/calls/${callId}`, { token: platform });
    const transferred = await waitFor(async () => {
      const r = await record(branchCall);
      return r.status === 200 && r.body.endedAt ? r.body : null;
    }, { timeoutMs: 30000, intervalMs: 300, message: 'the transferred call recorded' });
    expect(transferred.handoff).toEqual({ requestedAt: expect.any(String), outcome: 'transferred' });
    expect(transferred.functions.map((f: any) => [f.name, f.code])).toContainEqual(['transfer_to_human', 'transfer']);
    const asked = await waitFor(async () => {
      const r = await record(lineCall);
      return r.status === 200 ? r.body : null;
    }, { timeoutMs: 30000, intervalMs: 300, message: 'the call-back call recorded' });
    expect(asked.handoff).toEqual({ requestedAt: expect.any(String), outcome: 'callback_recorded' });
  });

  it('conversation defects, as callers would say it: names in any order, who does a service, names that are none, a move the policy forbids', async () => {
    const day = dayAhead(4, 2);
    const callId = `call_defects_${suffix}`;
    const caller = '+4915120000055';
    // Word order and parts: one rule for all.
    for (const said of ['Haarschnitt Herren', 'Herren Schnitt', 'herren haarschnitt']) {
      const r = await call('check_availability', callId, { dienstleistung: said, datum: day, uhrzeit: '09:00' }, { from: caller });
      expect([said, r.data?.serviceName]).toEqual([said, 'Herrenhaarschnitt']);
    }
    const both = await call('check_availability', callId, { dienstleistung: 'Schneiden und Färben', datum: day, uhrzeit: '09:00' }, { from: caller });
    expect(both.data.serviceName).toBe('Färben + Schneiden');
    // Carla does not cut hair: said so, with who does.
    const carla = await call('check_availability', callId, { dienstleistung: 'Herrenhaarschnitt', mitarbeiter: 'Carla', datum: day, uhrzeit: '09:00' }, { from: caller });
    expect(carla).toMatchObject({ success: false, code: 'staff_does_not_offer', data: { staffName: 'Carla Stein', otherStaff: [{ name: 'Anna Berger' }, { name: 'Ben Koch' }] } });
    expect(carla.message).toBe('Carla Stein bietet Herrenhaarschnitt leider nicht an. Herrenhaarschnitt macht bei uns Anna Berger oder Ben Koch. Möchten Sie einen Termin bei einem von ihnen?');
    // Not the caller's name: a staff wish, an answer, a staff member's own name — asked for the caller's name, nothing booked.
    for (const name of ['bei Anna', 'ja', 'Ben Koch']) {
      const r = await call('book_appointment', callId, { name, dienstleistung: 'Herrenhaarschnitt', datum: day, uhrzeit: '09:00' }, { from: caller });
      expect([name, r.success, r.data?.booked]).toEqual([name, false, undefined]);
      expect(r.code).toBe(name === 'Ben Koch' ? 'staff_name_as_customer_name' : 'empty_name');
      expect(r.message).toMatch(name === 'Ben Koch' ? /^Ben Koch ist bei uns im Team\. Wie ist bitte Ihr eigener Name/ : /Auf welchen Namen darf ich den Termin eintragen\?$/);
    }
    expect(await bookingDb.query('SELECT id FROM appointment WHERE company_id = ? AND call_id = ?', [company.id, callId])).toEqual([]);

    // Moved twice (the limit): a third move is refused at once, before the caller is asked for a new time.
    const booked = await call('book_appointment', callId, { name: 'Mona Move', dienstleistung: 'Herrenhaarschnitt', datum: day, uhrzeit: '09:00' }, { from: caller });
    expect(booked).toMatchObject({ success: true, data: { booked: true } });
    const appointmentId = booked.data.appointmentId;
    for (const time of ['10:00', '11:00']) {
      expect(await call('reschedule_appointment', callId, { appointment_id: appointmentId, new_datum: day, new_uhrzeit: time }, { from: caller })).toMatchObject({ success: true, data: { rescheduled: true } });
    }
    // The caller's own appointment at the time asked: said as theirs, with the question what to do.
    const mine = await call('check_availability', `${callId}_2`, { dienstleistung: 'Herrenhaarschnitt', datum: day, uhrzeit: '11:00' }, { from: caller });
    expect(mine).toMatchObject({ success: true, code: 'own_appointment', data: { available: false, hasExistingAppointment: true, appointment: { appointmentId } } });
    expect(mine.message).toMatch(/^Zu dieser Zeit haben Sie bereits einen Termin: Herrenhaarschnitt am .* um 11:00 Uhr\. Möchten Sie diesen Termin verschieben oder einen weiteren Termin vereinbaren\?$/);
    const third = await call('reschedule_appointment', callId, { appointment_id: appointmentId }, { from: caller });
    expect(third).toMatchObject({ success: false, code: 'policy_denied', data: { rule: 'max_reschedules' } });
    expect(third.message).toMatch(/^Dieser Termin wurde bereits 2 Mal verschoben, öfter ist das leider nicht möglich\./);
  });
});
