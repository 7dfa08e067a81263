import type { z } from 'zod';
import { DataSource } from 'typeorm';
import { Topics, bookingSetupSchema, createEnvelope } from '@receptionist/contracts';
import { addDays, isoInZone, parseWhen, toInstant, zonedNow, zonedParts } from '@receptionist/dates';
import { MessageProducer } from '@receptionist/messaging';
import { CalcomState, RunningSimulator, calcomSimulator, startSimulator } from '@receptionist/simulators';
import { collectMessages, testInfra, testKafka, uniqueName, waitFor } from '@receptionist/testing';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tests only: booking's own in-process harness, no app code
import { TestBooking, createBookingDatabase, startBooking } from '../../booking/test/booking-app';
import { TestVoiceAgent, VoiceRequester, startVoiceAgent, startVoiceRequester } from './voice-agent-app';

jest.setTimeout(120000);

/**
 * Understanding callers end to end below the gateway (issue 5): spoken dates resolved in the company's zone,
 * alternatives for a taken slot and a closed day, policy refusals said and recorded, callers with a withheld
 * number. voice-agent asks a real booking over Kafka; booking talks to the Cal.com simulator.
 */
describe('understanding callers', () => {
  const TZ = 'Europe/Berlin';
  const companyId = uniqueName('va-und');
  const company = { id: companyId, name: 'Praxis Morgenrot', timeZone: TZ, language: 'de', currency: 'EUR', branchId: null };
  const known = '+4915199887766';
  const other = '+4915211223344';
  const line = '+49301234999';

  let sim: RunningSimulator<CalcomState>;
  let booking: TestBooking;
  let bookingDb: Awaited<ReturnType<typeof createBookingDatabase>>;
  let voice: TestVoiceAgent;
  let requester: VoiceRequester;
  let producer: MessageProducer;
  let db: DataSource;

  const call = (fn: string, args: Record<string, unknown>, from: string | null, callId = uniqueName('call')) =>
    requester.call({
      function: fn,
      callId,
      args,
      call: { call_id: callId, from_number: from, to_number: line },
      company,
      fromNumber: from,
      toNumber: line,
      requestKey: uniqueName('rk'),
    });
  /** The instant a phrase means now, as the caller's company reads it. */
  const at = (phrase: string, hour: number, minute = 0) => {
    const d = parseWhen(phrase, zonedNow(TZ)).date;
    if (d?.kind !== 'day') throw new Error(phrase);
    return isoInZone(toInstant({ ...d.date, hour, minute }, TZ), TZ);
  };
  const dayAfter = (iso: string, days: number, hour: number, minute = 0) => {
    const p = zonedParts(new Date(iso), TZ);
    return isoInZone(toInstant({ ...addDays(p, days), hour, minute }, TZ), TZ);
  };
  const accepted = () => [...sim.state.bookings.values()].filter((b) => b.status === 'accepted');
  const starts = (data: Record<string, unknown> | undefined) => ((data?.options ?? []) as { start: string }[]).map((o) => o.start);

  beforeAll(async () => {
    sim = await startSimulator(calcomSimulator, { port: 0 });
    const events = await collectMessages(testKafka(), [Topics.setupApplied.name], { fromBeginning: false });
    bookingDb = await createBookingDatabase();
    [booking, voice, requester] = await Promise.all([
      startBooking({ CALCOM_BASE_URL: sim.url, CALCOM_API_KEY: 'cal_test_und', CALCOM_TEAM_SLUG: 'demo-praxis', CALCOM_REQUEST_TIMEOUT_MS: '2000' }, { companies: [companyId], database: bookingDb.database }),
      startVoiceAgent({}, { companies: [companyId] }),
      startVoiceRequester(),
    ]);
    producer = new MessageProducer(testKafka());
    await producer.connect();
    const weekday: [string, string][] = [['08:00', '18:00']];
    const doc: z.input<typeof bookingSetupSchema> = {
      companyId,
      revision: 'rev-1',
      timeZone: TZ,
      language: 'de',
      calcomTeamSlug: 'demo-praxis',
      services: [
        // Beratung: Cal.com offers weekdays 09-12 and 13-17 every 30 minutes; cancelling needs 1000 hours' notice.
        { key: 'beratung', name: 'Beratung', calcomEventTypeId: 1001, durationMinutes: 30, priceMinor: 5000, policies: { cancellationNoticeHours: 1000 } },
      ],
      staff: [],
      branches: [],
      openingHours: { mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday },
      policies: { minNoticeMinutes: 60, cancellationNoticeHours: 24, maxReschedules: 2, bookingHorizonDays: 60 },
    };
    await producer.publish({
      topic: Topics.bookingSetup.name,
      key: companyId,
      envelope: createEnvelope({ type: Topics.bookingSetup.name, source: 'gateway', companyId, subject: 'rev-1', data: doc }),
    });
    await waitFor(() => events.messages.some((m) => JSON.parse(m.value!.toString()).companyId === companyId), { message: 'set-up applied', timeoutMs: 30000 });
    await events.stop();
    db = new DataSource({ type: 'mariadb', host: testInfra.db.host, port: testInfra.db.port, username: testInfra.db.username, password: testInfra.db.password, database: bookingDb.database });
    await db.initialize();
  });

  afterAll(async () => {
    await db?.destroy();
    await requester?.stop();
    await producer?.disconnect();
    await voice?.close();
    await booking?.close();
    await bookingDb?.drop();
    await sim?.close();
  });

  it('"nächste Woche Dienstag gegen halb drei" is 14:30 next Tuesday in Berlin, and free', async () => {
    const reply = await call('check_availability', { datum: 'nächste Woche Dienstag', uhrzeit: 'gegen halb drei', dienstleistung: 'Beratung' }, known);
    expect(reply).toMatchObject({ success: true, data: { available: true, requestedStart: at('nächste Woche Dienstag', 14, 30) } });
    expect(reply.message).toContain('14:30 Uhr');
    expect(reply.message).not.toMatch(/fünfzehn/);
  });

  it('a taken time: the nearest before and after that day, then the same time the next day — the same from check and from book', async () => {
    const wished = at('nächste Woche Dienstag', 14, 30);
    const booked = await call('book_appointment', { datetime: wished, customer_name: 'Erika Muster', dienstleistung: 'Beratung' }, known);
    expect(booked).toMatchObject({ success: true, data: { booked: true, start: wished } });

    const checked = await call('check_availability', { datum: 'nächste Woche Dienstag', uhrzeit: '14:30', dienstleistung: 'Beratung' }, other);
    const expected = [at('nächste Woche Dienstag', 14), at('nächste Woche Dienstag', 15), dayAfter(wished, 1, 14, 30)];
    expect(checked).toMatchObject({ success: true, code: 'slot_taken', data: { available: false } });
    expect(starts(checked.data)).toEqual(expected);
    expect(checked.message).toMatch(/belegt.*14:00 Uhr.*15:00 Uhr.*oder/);

    // Booking the taken time anyway (a race): booking's own alternatives follow the same rule.
    const raced = await call('book_appointment', { datetime: wished, customer_name: 'Max Mustermann', dienstleistung: 'Beratung' }, other);
    expect(raced).toMatchObject({ success: true, code: 'slot_taken' });
    expect(starts(raced.data)).toEqual(expected);
  });

  it('a closed day (Saturday): the same time on the next open days, said as "geschlossen"', async () => {
    const reply = await call('check_availability', { datum: 'nächste Woche Samstag', uhrzeit: '10 Uhr', dienstleistung: 'Beratung' }, known);
    const saturday = at('nächste Woche Samstag', 10);
    expect(reply).toMatchObject({ success: true, code: 'outside_opening_hours' });
    expect(starts(reply.data)).toEqual([dayAfter(saturday, 2, 10), dayAfter(saturday, 3, 10), dayAfter(saturday, 4, 10)]);
    expect(reply.message).toMatch(/geschlossen/);
  });

  it('a policy refusal is said with its rule and recorded; nothing changes', async () => {
    const list = await call('get_customer_appointments', {}, known);
    const appointmentId = (list.data!.appointments as { appointmentId: string }[])[0].appointmentId;
    const reply = await call('cancel_appointment', { appointment_id: appointmentId, bestaetigung: true }, known);
    expect(reply).toMatchObject({ success: false, code: 'policy_denied', data: { rule: 'cancellation_notice' } });
    expect(reply.message).toMatch(/nur bis 1000 Stunden vor dem Termin/);
    expect(accepted()).toHaveLength(1);
    const rows = await db.query('SELECT action, allowed, rule, detail FROM policy_decision WHERE company_id = ? AND appointment_id = ?', [companyId, appointmentId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'cancel', allowed: 0, rule: 'cancellation_notice' });
    expect(JSON.parse(rows[0].detail)).toMatchObject({ noticeHours: 1000 });
  });

  it('a withheld number cannot list, cancel or move anything, whatever number it names', async () => {
    const list = await call('get_customer_appointments', { phone: known }, null);
    expect(list).toMatchObject({ success: false, code: 'anonymous_caller' });
    expect(list.data?.appointments).toBeUndefined();
    const [{ appointmentId }] = (await call('get_customer_appointments', {}, known)).data!.appointments as { appointmentId: string }[];
    const cancel = await call('cancel_appointment', { appointment_id: appointmentId, phone: known, bestaetigung: true }, null);
    expect(cancel).toMatchObject({ success: false, code: 'anonymous_caller' });
    const move = await call('reschedule_appointment', { appointment_id: appointmentId, new_date: 'nächste Woche Donnerstag', new_time: '10:00', phone: known }, null);
    expect(move).toMatchObject({ success: false, code: 'anonymous_caller' });
    const init = await call('initialize_call', {}, null);
    expect(init).toMatchObject({ success: true, data: { customer: { known: false, status: 'anonymous' }, upcomingAppointments: [] } });
    expect(accepted()).toHaveLength(1);
  });

  it('a withheld number can book: the callback number is read back and confirmed, and never renames the customer it belongs to', async () => {
    const callId = uniqueName('anon');
    const when = { datum: 'nächste Woche Mittwoch', uhrzeit: 'halb elf', dienstleistung: 'Beratung' };
    const first = await call('collect_appointment', { ...when, name: 'Jemand Anders', telefonnummer: '0151 99887766' }, null, callId);
    expect(first).toMatchObject({ success: true, data: { awaitingConfirmation: true } });
    expect(first.message).toContain('0 1 5 1, 9 9 8, 8 7 7, 6 6');
    expect(accepted()).toHaveLength(1);

    const unconfirmed = await call('book_appointment', {}, null, callId);
    expect(unconfirmed).toMatchObject({ success: true, code: 'awaiting_confirmation' });
    expect(accepted()).toHaveLength(1);

    const done = await call('collect_appointment', { bestaetigung: true }, null, callId);
    expect(done).toMatchObject({ success: true, data: { booked: true, start: at('nächste Woche Mittwoch', 10, 30) } });
    expect(accepted()).toHaveLength(2);
    // The number belongs to Erika Muster: she keeps her name, and sees the booking made for her number.
    const [customer] = await db.query('SELECT name FROM customer WHERE company_id = ? AND phone = ?', [companyId, known]);
    expect(customer.name).toBe('Erika Muster');
  });
});
