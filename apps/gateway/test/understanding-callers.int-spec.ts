import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { CalcomState, RunningSimulator, calcomSimulator, startSimulator } from '@receptionist/simulators';
import { collectMessages, testInfra, testKafka, waitFor } from '@receptionist/testing';
import { signRetell } from '../src/retell/retell-signature';
import { startGateway, TestGateway } from './gateway-app';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tests only: booking's own in-process harness, no app code
import { startBooking, TestBooking } from '../../booking/test/booking-app';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tests only: voice-agent's own in-process harness, no app code
import { startVoiceAgent, TestVoiceAgent } from '../../voice-agent/test/voice-agent-app';

jest.setTimeout(180000);

const ADMIN = { email: 'ops@understanding.test', password: 'operator password understanding' };
const RETELL_KEY = 'key_understanding_test';
const TZ = 'Europe/Berlin';
const MON_SAT = [1, 2, 3, 4, 5, 6];

/** dd.mm.yyyy of the first `weekday` (0 = Sunday) at least `minDays` ahead in Berlin. */
function dayAhead(weekday: number, minDays: number): string {
  const d = new Date(Date.now() + minDays * 86400000);
  while (d.getUTCDay() !== weekday) d.setUTCDate(d.getUTCDate() + 1);
  return `${String(d.getUTCDate()).padStart(2, '0')}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${d.getUTCFullYear()}`;
}
const berlin = (iso: string) => new Intl.DateTimeFormat('de-DE', { timeZone: TZ, hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
/** The instant of `dd.mm.yyyy` `hh:mm` in Berlin (the test days are never on a DST switch night). */
function instant(day: string, time: string): number {
  const [d, m, y] = day.split('.').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const guess = Date.UTC(y, m - 1, d, hh, mm);
  const local = new Date(new Date(guess).toLocaleString('en-US', { timeZone: TZ })).getTime();
  const utcAsLocal = new Date(new Date(guess).toLocaleString('en-US', { timeZone: 'UTC' })).getTime();
  return guess - (local - utcAsLocal);
}

/**
 * Issue 5 ("understanding callers") through the gateway's HTTP routes: signed Retell function calls reach the real
 * voice-agent and booking (in-process, real Kafka, MariaDB, Redis), booking talks to the Cal.com simulator, and the
 * companies are set up by importing their file. Service names (synonyms, typos, two services matching), a preferred
 * staff member, composite services booked as one appointment (all or nothing), and callback requests from the
 * call to the admin API.
 */
describe('understanding callers, end to end through the gateway', () => {
  let sim: RunningSimulator<CalcomState>;
  let gw: TestGateway;
  let booking: TestBooking;
  let voice: TestVoiceAgent;
  let bookingDb: DataSource;
  let events: Awaited<ReturnType<typeof collectMessages>>;
  let platform: string;
  const suffix = randomBytes(3).toString('hex');
  const companies: Record<'A' | 'B', { id: string; token: string; agentId: string; number: string }> = {} as never;
  const digits = () => String(Math.floor(1e6 + Math.random() * 8e6));

  const eventType = (id: number, slug: string, minutes: number) => ({
    id,
    slug,
    title: slug,
    lengthInMinutes: minutes,
    slotIntervalMinutes: 30,
    teamSlug: 'salon-understanding',
    timeZone: TZ,
    openingHours: [{ days: MON_SAT, start: '09:00', end: '18:00' }],
  });
  const hours = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d) => [d, [['09:00', '18:00']]]));
  const companyFile = (key: 'A' | 'B') => ({
    company: { key: `understanding-${key.toLowerCase()}-${suffix}`, name: `Salon ${key}`, timeZone: TZ, language: 'de', currency: 'EUR', calcomTeamSlug: 'salon-understanding' },
    phoneNumbers: [{ number: companies[key].number }],
    retellAgents: [{ agentId: companies[key].agentId }],
    services:
      key === 'A'
        ? [
            { key: 'herren', name: 'Herrenhaarschnitt', aliases: ['Männerhaarschnitt'], calcomEventTypeId: 2002, durationMinutes: 30, priceMinor: 2900 },
            { key: 'damen', name: 'Damenhaarschnitt', calcomEventTypeId: 2001, durationMinutes: 60, priceMinor: 4900 },
            { key: 'faerben', name: 'Färben', aliases: ['Haare färben'], calcomEventTypeId: 2003, durationMinutes: 60, priceMinor: 5900 },
            { key: 'faerben-schneiden', name: 'Färben + Schneiden', aliases: ['Färben und Schneiden'], priceMinor: 7900, steps: [{ service: 'faerben', staff: ['carla'] }, { service: 'herren', staff: ['anna', 'ben'] }] },
          ]
        : [{ key: 'herren', name: 'Herrenhaarschnitt', calcomEventTypeId: 2002, durationMinutes: 30 }],
    staff:
      key === 'A'
        ? [
            { key: 'anna', name: 'Anna Berger', services: ['herren', 'damen'] },
            { key: 'ben', name: 'Ben Koch', services: ['herren'] },
            { key: 'carla', name: 'Carla Stein', services: ['faerben'] },
          ]
        : [],
    openingHours: hours,
    // Company B: a caller can never cancel on the phone (the policy refusal below).
    policies: { minNoticeMinutes: 60, cancellationNoticeHours: key === 'A' ? 24 : 5000, maxReschedules: 2, bookingHorizonDays: 60 },
    pricing: { perMinuteMinor: 10 },
  });

  /** A signed Retell tool call on one of the gateway's voice routes. */
  const fn = async (key: 'A' | 'B', route: string, callId: string, from: string, args: Record<string, unknown>) => {
    const raw = JSON.stringify({ call: { call_id: callId, agent_id: companies[key].agentId, from_number: from, to_number: companies[key].number }, args });
    const res = await fetch(`${gw.url}/api/retell/${route}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-retell-signature': signRetell(raw, RETELL_KEY) }, body: raw });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { success: boolean; message: string; code?: string; data?: any };
    // Always a sentence to speak, never internals.
    expect(body.message).not.toMatch(/error|exception|undefined|null|\{|\[object/i);
    return body;
  };
  const simBookings = () => [...sim.state.bookings.values()];
  const ids = async (companyId: string) => {
    const rows: { table: string; key: string; id: string }[] = await bookingDb.query(
      "SELECT 'service' AS `table`, `key`, id FROM service WHERE company_id = ? UNION ALL SELECT 'staff', `key`, id FROM staff WHERE company_id = ?",
      [companyId, companyId],
    );
    return Object.fromEntries(rows.map((r) => [`${r.table}:${r.key}`, r.id]));
  };

  beforeAll(async () => {
    sim = await startSimulator(calcomSimulator, { port: 0 });
    const seeded = await fetch(`${sim.url}/__sim/calcom/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ eventTypes: [eventType(2001, 'damenhaarschnitt', 60), eventType(2002, 'herrenhaarschnitt', 30), eventType(2003, 'faerben', 60)] }),
    });
    expect(seeded.status).toBe(200);
    events = await collectMessages(testKafka(), [Topics.callbackRequested.name, Topics.bookingCreated.name], { fromBeginning: false });
    gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, RETELLAI_API_KEY: RETELL_KEY, RATE_LIMIT_GENERAL: '10000', RATE_LIMIT_VOICE: '10000' });
    platform = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;

    // Import each company once (booking is not running yet: its part stays pending), then start booking and
    // voice-agent for exactly these companies and send the parts again.
    for (const key of ['A', 'B'] as const) {
      companies[key] = { id: '', token: '', agentId: `agent_und_${key}_${suffix}`, number: `+4930${digits()}` };
      const res = await gw.call('POST', '/api/v1/companies/import?wait=0', { token: platform, body: companyFile(key) });
      expect([res.status, res.body.message]).toEqual([202, undefined]);
      companies[key].id = res.body.companyId;
      const email = `admin-${key.toLowerCase()}-${suffix}@understanding.test`;
      const user = await gw.call('POST', `/api/v1/companies/${companies[key].id}/users`, { token: platform, body: { email, name: `${key} admin`, password: `${key} admin password`, role: 'company_admin' } });
      expect(user.status).toBe(201);
      companies[key].token = (await gw.call('POST', '/api/v1/auth/login', { body: { email, password: `${key} admin password` } })).body.token;
    }
    const served = [companies.A.id, companies.B.id];
    [booking, voice] = await Promise.all([
      startBooking({ CALCOM_BASE_URL: sim.url, CALCOM_API_KEY: 'cal_test_understanding', CALCOM_REQUEST_TIMEOUT_MS: '2000', CALCOM_BREAKER_HALF_OPEN_MS: '500', CALCOM_RETRY_ATTEMPTS: '1' }, { companies: served }),
      startVoiceAgent({ CALLBACK_RETRY_MS: '300' }, { companies: served }),
    ]);
    bookingDb = new DataSource({ type: 'mysql', ...testInfra.db, database: booking.database, timezone: 'Z' });
    await bookingDb.initialize();
    for (const key of ['A', 'B'] as const) {
      const res = await gw.call('POST', '/api/v1/companies/import?wait=0&resend=true', { token: platform, body: companyFile(key) });
      expect([200, 202]).toContain(res.status);
      // Read from booking itself: the gateway's record of `company.setup.applied` is read by the group `gateway`,
      // which other gateway test processes on the shared broker may share.
      await waitFor(async () => (await bookingDb.query('SELECT revision FROM booking_company WHERE company_id = ?', [companies[key].id])).length === 1, {
        timeoutMs: 60000,
        intervalMs: 300,
        message: `booking set-up of ${key}`,
      });
    }
  });

  afterAll(async () => {
    await bookingDb?.destroy();
    await events?.stop();
    await voice?.close();
    await booking?.close();
    await gw?.close();
    await sim?.close();
  });

  it('maps the caller’s words to services: typo, synonym, the only match, and a question when two match', async () => {
    const day = dayAhead(3, 2);
    const call = `call_names_${suffix}`;
    const caller = '+4915110000001';
    const ambiguous = await fn('A', 'check-availability', call, caller, { dienstleistung: 'Haarschnitt', datum: day, uhrzeit: '10:00' });
    expect(ambiguous).toMatchObject({ success: false, code: 'ambiguous_service', data: { services: ['Damenhaarschnitt', 'Herrenhaarschnitt'] } });
    expect(ambiguous.message).toBe('Meinen Sie Damenhaarschnitt oder Herrenhaarschnitt?');

    const typo = await fn('A', 'check-availability', call, caller, { dienstleistung: 'Herenhaarschnit', datum: day, uhrzeit: '10:00' });
    expect(typo).toMatchObject({ success: true, data: { serviceName: 'Herrenhaarschnitt', available: true } });
    const synonym = await fn('A', 'check-availability', call, caller, { dienstleistung: 'männerhaarschnitt', datum: day, uhrzeit: '10:00' });
    expect(synonym).toMatchObject({ success: true, data: { serviceName: 'Herrenhaarschnitt' } });
    expect(synonym.message).toMatch(/Herrenhaarschnitt/);
    // Company B offers one haircut only: "Haarschnitt" is that one.
    const only = await fn('B', 'check-availability', `call_only_${suffix}`, caller, { dienstleistung: 'Haarschnitt', datum: day, uhrzeit: '10:00' });
    expect(only).toMatchObject({ success: true, data: { serviceName: 'Herrenhaarschnitt', available: true } });
    const unknown = await fn('A', 'check-availability', call, caller, { dienstleistung: 'Zahnreinigung', datum: day });
    expect(unknown).toMatchObject({ success: false, code: 'unknown_service' });
  });

  it('honours a preferred staff member when free, and otherwise offers her times and who else is free', async () => {
    const day = dayAhead(3, 2);
    const known = await ids(companies.A.id);
    // Anna has a Damenhaarschnitt 10:00–11:00.
    const first = await fn('A', 'book-appointment', `call_staff1_${suffix}`, '+4915110000011', { name: 'Dora Damen', dienstleistung: 'Damenhaarschnitt', mitarbeiter: 'Anna', datum: day, uhrzeit: '10:00' });
    expect(first).toMatchObject({ success: true, data: { booked: true } });

    // "Herrenhaarschnitt bei Anna um 10" — the calendar is free, Anna is not; Ben is.
    const check = await fn('A', 'check-availability', `call_staff2_${suffix}`, '+4915110000012', { dienstleistung: 'Herrenhaarschnitt', mitarbeiter: 'Anna', datum: day, uhrzeit: '10:00' });
    expect(check).toMatchObject({ success: true, code: 'staff_unavailable', data: { available: false, staffName: 'Anna Berger', otherStaff: [{ name: 'Ben Koch' }] } });
    expect(check.message).toMatch(/^Anna Berger ist am .* um 10:00 Uhr leider nicht frei\. Anna Berger hätte .* Zeit\. Zur gewünschten Zeit hätte Ben Koch Zeit\./);
    // Anna's own nearest free times: never inside her 10:00–11:00 appointment.
    const offered = (check.data.options as { start: string }[]).map((o) => Date.parse(o.start));
    expect(offered.length).toBeGreaterThan(0);
    expect(offered.every((t) => t + 30 * 60000 <= instant(day, '10:00') || t >= instant(day, '11:00'))).toBe(true);

    // The caller takes Ben at 10:00: booked for Ben, in our record and in the Cal.com booking's metadata.
    const ben = await fn('A', 'book-appointment', `call_staff2_${suffix}`, '+4915110000012', { name: 'Hans Herr', dienstleistung: 'Herrenhaarschnitt', mitarbeiter: 'Ben', datum: day, uhrzeit: '10:00' });
    expect(ben).toMatchObject({ success: true, data: { booked: true } });
    const [row] = await bookingDb.query('SELECT staff_id, calcom_booking_uid FROM appointment WHERE id = ?', [ben.data.appointmentId]);
    expect(row.staff_id).toBe(known['staff:ben']);
    expect(sim.state.bookings.get(row.calcom_booking_uid)?.metadata).toMatchObject({ staffId: known['staff:ben'], staffName: 'Ben Koch' });

    // Booking Anna straight away at 10:30 (still in her Damenhaarschnitt): refused by booking, Ben offered.
    const busy = await fn('A', 'book-appointment', `call_staff3_${suffix}`, '+4915110000013', { name: 'Karl Kurz', dienstleistung: 'Herrenhaarschnitt', mitarbeiter: 'Anna Berger', datum: day, uhrzeit: '10:30' });
    expect(busy).toMatchObject({ success: false, code: 'staff_unavailable', data: { otherStaff: [{ name: 'Ben Koch' }] } });
    expect(busy.message).toMatch(/^Anna Berger ist am .* um 10:30 Uhr leider nicht frei/);
    // Free at 14:00: Anna it is.
    const anna = await fn('A', 'book-appointment', `call_staff3_${suffix}`, '+4915110000013', { name: 'Karl Kurz', dienstleistung: 'Herrenhaarschnitt', mitarbeiter: 'Anna Berger', datum: day, uhrzeit: '14:00' });
    expect(anna).toMatchObject({ success: true, data: { booked: true } });
    const [annaRow] = await bookingDb.query('SELECT staff_id FROM appointment WHERE id = ?', [anna.data.appointmentId]);
    expect(annaRow.staff_id).toBe(known['staff:anna']);
    const list = await fn('A', 'get-customer-appointments', `call_staff3_${suffix}`, '+4915110000013', {});
    expect(list.data.appointments).toEqual([expect.objectContaining({ serviceName: 'Herrenhaarschnitt', staffName: 'Anna Berger' })]);

    // Two callers want Anna at the same moment, in different services and at overlapping starts: one gets her.
    const friday = dayAhead(5, 2);
    const race = await Promise.all([
      fn('A', 'book-appointment', `call_race1_${suffix}`, '+4915110000014', { name: 'Rita Rasch', dienstleistung: 'Damenhaarschnitt', mitarbeiter: 'Anna', datum: friday, uhrzeit: '14:00' }),
      fn('A', 'book-appointment', `call_race2_${suffix}`, '+4915110000015', { name: 'Rolf Rasch', dienstleistung: 'Herrenhaarschnitt', mitarbeiter: 'Anna', datum: friday, uhrzeit: '14:30' }),
    ]);
    expect(race.filter((r) => r.success && r.data?.booked).length).toBe(1);
    expect(race.find((r) => !r.data?.booked)).toMatchObject({ success: false, code: 'staff_unavailable' });
    const annas = await bookingDb.query("SELECT starts_at FROM appointment WHERE company_id = ? AND staff_id = ? AND status = 'booked' AND starts_at >= ? AND starts_at < ?", [
      companies.A.id,
      known['staff:anna'],
      new Date(instant(friday, '00:00')),
      new Date(instant(friday, '23:00')),
    ]);
    expect(annas).toHaveLength(1);
  });

  it('books a composite service as one appointment, all or nothing, and moves and cancels it as a whole', async () => {
    const day = dayAhead(4, 2);
    const known = await ids(companies.A.id);
    const caller = '+4915110000021';
    const call = `call_composite_${suffix}`;
    const check = await fn('A', 'check-availability', call, caller, { dienstleistung: 'Färben und Schneiden', datum: day, uhrzeit: '09:00' });
    expect(check).toMatchObject({ success: true, data: { serviceName: 'Färben + Schneiden', durationMinutes: 90, available: true } });

    const booked = await fn('A', 'book-appointment', call, caller, { name: 'Frieda Farbe', dienstleistung: 'Färben + Schneiden', datum: day, uhrzeit: '09:00' });
    expect(booked).toMatchObject({ success: true, data: { booked: true, serviceName: 'Färben + Schneiden' } });
    const appointmentId = booked.data.appointmentId as string;
    const [row] = await bookingDb.query('SELECT composite, staff_id, starts_at, ends_at FROM appointment WHERE id = ?', [appointmentId]);
    expect(Number(row.composite)).toBe(1);
    expect(new Date(row.ends_at).getTime() - new Date(row.starts_at).getTime()).toBe(90 * 60000);
    const steps = await bookingDb.query('SELECT position, service_id, staff_id, calcom_event_type_id, calcom_booking_uid, starts_at FROM appointment_step WHERE appointment_id = ? ORDER BY position', [appointmentId]);
    expect(steps.map((s: any) => [s.service_id, s.staff_id, s.calcom_event_type_id, berlin(s.starts_at)])).toEqual([
      [known['service:faerben'], known['staff:carla'], 2003, '09:00'],
      [known['service:herren'], known['staff:anna'], 2002, '10:00'],
    ]);
    const ours = () => simBookings().filter((b) => b.metadata?.appointmentId === appointmentId);
    expect(ours().filter((b) => b.status === 'accepted').map((b) => [b.eventTypeId, berlin(b.start)]).sort()).toEqual([[2002, '10:00'], [2003, '09:00']]);
    // The caller sees one appointment.
    const list = await fn('A', 'get-customer-appointments', call, caller, {});
    expect(list.data.appointments).toEqual([expect.objectContaining({ appointmentId, serviceName: 'Färben + Schneiden' })]);
    await waitFor(() => events.messages.some((m) => JSON.parse(m.value!.toString()).data?.appointmentId === appointmentId), { timeoutMs: 10000, message: 'booking.created' });

    // All or nothing: another Cal.com client takes the 12:00 cut just after our 11:00 colouring was booked.
    const bookings = sim.state.bookings;
    const set = bookings.set.bind(bookings);
    const blockAt = instant(day, '12:00');
    let blocked = false;
    bookings.set = (uid, b) => {
      set(uid, b);
      if (!blocked && b.eventTypeId === 2003 && Date.parse(b.start) === instant(day, '11:00')) {
        blocked = true;
        const blocker = { ...b, id: 999_000 + Math.floor(Math.random() * 999), uid: `blocker_${suffix}`, eventTypeId: 2002, eventType: { id: 2002, slug: 'herrenhaarschnitt' }, start: new Date(blockAt).toISOString(), end: new Date(blockAt + 30 * 60000).toISOString(), attendees: [{ ...b.attendees[0], email: 'other@cal.test', phoneNumber: '+4915199990000', name: 'Someone Else' }], metadata: {} };
        set(blocker.uid, blocker);
      }
      return bookings;
    };
    const caller2 = '+4915110000022';
    const half = await fn('A', 'book-appointment', `call_composite2_${suffix}`, caller2, { name: 'Gerd Grau', dienstleistung: 'Färben + Schneiden', datum: day, uhrzeit: '11:00' });
    bookings.set = set;
    expect(blocked).toBe(true);
    expect(half).toMatchObject({ success: true, code: 'slot_taken', data: { booked: false } });
    const colouring = simBookings().find((b) => b.eventTypeId === 2003 && Date.parse(b.start) === instant(day, '11:00'));
    expect(colouring?.status).toBe('cancelled');
    expect(await bookingDb.query("SELECT id FROM appointment WHERE company_id = ? AND starts_at = ?", [companies.A.id, new Date(instant(day, '11:00'))])).toEqual([]);

    // Moved as a whole: new bookings for both steps, the old ones cancelled, still one appointment.
    const moved = await fn('A', 'reschedule-appointment', call, caller, { appointment_id: appointmentId, new_datum: day, new_uhrzeit: '14:00' });
    expect(moved).toMatchObject({ success: true, data: { rescheduled: true } });
    expect(ours().filter((b) => b.status === 'accepted').map((b) => [b.eventTypeId, berlin(b.start)]).sort()).toEqual([[2002, '15:00'], [2003, '14:00']]);
    expect(ours().filter((b) => b.status === 'cancelled')).toHaveLength(2);
    const movedSteps = await bookingDb.query('SELECT starts_at FROM appointment_step WHERE appointment_id = ? ORDER BY position', [appointmentId]);
    expect(movedSteps.map((s: any) => berlin(s.starts_at))).toEqual(['14:00', '15:00']);

    const cancelled = await fn('A', 'cancel-appointment', call, caller, { appointment_id: appointmentId, reason: 'passt nicht' });
    expect(cancelled).toMatchObject({ success: true, data: { cancelled: true } });
    expect(ours().filter((b) => b.status === 'accepted')).toEqual([]);
  });

  it('stores a callback request when the agent cannot help, visible and handled in the admin API', async () => {
    const B = companies.B;
    const caller = '+4915110000031';
    const call = `call_callback_${suffix}`;
    const day = dayAhead(3, 2);
    const booked = await fn('B', 'book-appointment', call, caller, { name: 'Paula Policy', dienstleistung: 'Herrenhaarschnitt', datum: day, uhrzeit: '11:00' });
    expect(booked).toMatchObject({ success: true, data: { booked: true } });
    // A policy refusal: cancelling on the phone is never allowed at company B.
    const refused = await fn('B', 'cancel-appointment', call, caller, { appointment_id: booked.data.appointmentId });
    expect(refused).toMatchObject({ success: false, code: 'policy_denied', data: { rule: 'cancellation_notice', callbackRecorded: true } });
    // Nothing free in the asked range (beyond the booking horizon): noted once, however often the caller asks.
    const far = new Date(Date.now() + 90 * 86400000);
    const farDay = `${String(far.getUTCDate()).padStart(2, '0')}.${String(far.getUTCMonth() + 1).padStart(2, '0')}.${far.getUTCFullYear()}`;
    for (let i = 0; i < 2; i++) {
      const none = await fn('B', 'check-availability', call, caller, { dienstleistung: 'Herrenhaarschnitt', datum: farDay });
      expect(none).toMatchObject({ success: true, code: 'no_availability', data: { callbackRecorded: true } });
      expect(none.message).toMatch(/Ich habe Ihren Wunsch notiert/);
    }
    // The calendar down.
    await fetch(`${sim.url}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'down' }) });
    const down = await fn('B', 'check-availability', `call_down_${suffix}`, '+4915110000032', { dienstleistung: 'Herrenhaarschnitt', datum: dayAhead(5, 2), uhrzeit: '15:00' });
    await fetch(`${sim.url}/__sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'normal' }) });
    expect(down).toMatchObject({ success: false, code: 'calendar_unavailable', data: { callbackRecorded: true } });

    const base = `/api/v1/companies/${B.id}/callback-requests`;
    const listed = await waitFor(
      async () => {
        const res = await gw.call('GET', base, { token: B.token });
        return res.status === 200 && res.body.data.length === 3 ? res.body : null;
      },
      { timeoutMs: 20000, intervalMs: 300, message: 'three callback requests of B' },
    );
    expect(listed.data.map((c: any) => [c.reason, c.phone, c.status]).sort()).toEqual([
      ['calendar_unavailable', '+4915110000032', 'open'],
      ['no_slot', caller, 'open'],
      ['policy', caller, 'open'],
    ]);
    expect(listed.data.find((c: any) => c.reason === 'no_slot').wish).toMatch(/Herrenhaarschnitt/);
    // Published as events too.
    await waitFor(() => events.messages.filter((m) => m.topic === Topics.callbackRequested.name && JSON.parse(m.value!.toString()).companyId === B.id).length === 3, { timeoutMs: 10000, message: 'booking.callback-requested' });

    // Pages, newest first.
    const page1 = await gw.call('GET', `${base}?limit=2`, { token: B.token });
    const page2 = await gw.call('GET', `${base}?limit=2&cursor=${encodeURIComponent(page1.body.next)}`, { token: B.token });
    expect([page1.body.data.length, page2.body.data.length, page2.body.next]).toEqual([2, 1, null]);
    const seen = [...page1.body.data, ...page2.body.data];
    expect(seen.map((c: any) => c.createdAt)).toEqual(seen.map((c: any) => c.createdAt).sort().reverse());
    expect(new Set(seen.map((c: any) => c.callbackRequestId)).size).toBe(3);

    // Staff called back: done, with a note (audited).
    const policy = listed.data.find((c: any) => c.reason === 'policy');
    const done = await gw.call('PATCH', `${base}/${policy.callbackRequestId}`, { token: B.token, body: { status: 'done', note: 'Zurückgerufen, Termin bleibt.' } });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ callbackRequestId: policy.callbackRequestId, status: 'done', note: 'Zurückgerufen, Termin bleibt.', handledBy: expect.stringMatching(/^user:/), handledAt: expect.any(String) });
    expect((await gw.call('GET', `${base}/${policy.callbackRequestId}`, { token: B.token })).body).toMatchObject({ status: 'done', note: 'Zurückgerufen, Termin bleibt.' });
    expect((await gw.call('GET', `${base}?status=done`, { token: B.token })).body.data.map((c: any) => c.callbackRequestId)).toEqual([policy.callbackRequestId]);
    expect((await gw.call('GET', `${base}?status=open`, { token: B.token })).body.data.map((c: any) => c.reason).sort()).toEqual(['calendar_unavailable', 'no_slot']);
    const future = new Date(Date.now() + 3600000).toISOString();
    expect((await gw.call('GET', `${base}?from=${encodeURIComponent(future)}`, { token: B.token })).body.data).toEqual([]);
    const audit = await gw.call('GET', `/api/v1/companies/${B.id}/audit-log?action=callback_request.updated`, { token: B.token });
    expect(audit.body.data[0]).toMatchObject({ action: 'callback_request.updated', target: { type: 'callback_request', id: policy.callbackRequestId } });
    expect(JSON.stringify(audit.body.data[0].changes)).toContain('"to":"done"');

    // Bad input: 400 naming the field, nothing changed.
    const bad = await gw.call('PATCH', `${base}/${policy.callbackRequestId}`, { token: B.token, body: { status: 'finished' } });
    expect([bad.status, bad.body.field]).toEqual([400, 'status']);
    expect((await gw.call('GET', `${base}?limit=0`, { token: B.token })).body.field).toBe('limit');
    expect((await gw.call('GET', `${base}?status=maybe`, { token: B.token })).status).toBe(400);
    expect((await gw.call('GET', `${base}?cursor=nonsense`, { token: B.token })).body).toMatchObject({ statusCode: 400, field: 'cursor' });
    expect((await gw.call('GET', `${base}/${policy.callbackRequestId}`, { token: B.token })).body.status).toBe('done');

    // Another company's admin: 404 everywhere, and A's own list does not show B's requests.
    const A = companies.A;
    expect((await gw.call('GET', base, { token: A.token })).status).toBe(404);
    expect((await gw.call('GET', `${base}/${policy.callbackRequestId}`, { token: A.token })).status).toBe(404);
    expect((await gw.call('PATCH', `${base}/${policy.callbackRequestId}`, { token: A.token, body: { status: 'closed' } })).status).toBe(404);
    expect((await gw.call('GET', `/api/v1/companies/${A.id}/callback-requests/${policy.callbackRequestId}`, { token: A.token })).status).toBe(404);
    expect((await gw.call('GET', `/api/v1/companies/${A.id}/callback-requests`, { token: A.token })).body.data.every((c: any) => c.phone !== caller)).toBe(true);
    expect((await gw.call('GET', `${base}/${policy.callbackRequestId}`, { token: B.token })).body.status).toBe('done');

    // The token-scoped routes: a company's own token needs no company in the path; a platform admin names it.
    const scoped = await gw.call('GET', '/api/v1/callback-requests?status=open', { token: B.token });
    expect(scoped.body.data.map((c: any) => c.reason).sort()).toEqual(['calendar_unavailable', 'no_slot']);
    const calendar = listed.data.find((c: any) => c.reason === 'calendar_unavailable');
    const closed = await gw.call('PATCH', `/api/v1/callback-requests/${calendar.callbackRequestId}`, { token: B.token, body: { status: 'closed' } });
    expect([closed.status, closed.body.status, closed.body.note]).toEqual([200, 'closed', null]);
    expect((await gw.call('GET', `/api/v1/callback-requests/${calendar.callbackRequestId}`, { token: A.token })).status).toBe(404);
    expect((await gw.call('PATCH', `/api/v1/callback-requests/${calendar.callbackRequestId}`, { token: A.token, body: { status: 'open' } })).status).toBe(404);
    expect((await gw.call('GET', `/api/v1/callback-requests?companyId=${B.id}`, { token: A.token })).status).toBe(404);
    expect((await gw.call('GET', '/api/v1/callback-requests', { token: platform })).body).toMatchObject({ statusCode: 400, field: 'companyId' });
    expect((await gw.call('GET', `/api/v1/callback-requests?companyId=${B.id}`, { token: platform })).body.data).toHaveLength(3);
    expect((await gw.call('GET', `/api/v1/callback-requests/${calendar.callbackRequestId}?companyId=${B.id}`, { token: platform })).body.status).toBe('closed');
  });
});
