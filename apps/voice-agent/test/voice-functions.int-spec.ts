import type { z } from 'zod';
import { DataSource } from 'typeorm';
import { Topics, bookingSetupSchema, createEnvelope } from '@receptionist/contracts';
import { MessageProducer } from '@receptionist/messaging';
import { registry } from '@receptionist/observability';
import { CalcomState, RunningSimulator, calcomSimulator, startSimulator } from '@receptionist/simulators';
import { collectMessages, testInfra, testKafka, uniqueName, waitFor } from '@receptionist/testing';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tests only: booking's own in-process harness, no app code
import { TestBooking, createBookingDatabase, startBooking } from '../../booking/test/booking-app';
import { parseWhen, zonedNow, zonedParts } from '../src/dates';
import { TestVoiceAgent, VoiceFunctionReply, VoiceRequester, startVoiceAgent, startVoiceRequester } from './voice-agent-app';

jest.setTimeout(120000);

/**
 * The voice functions end to end below the gateway: requests on `voice.function.call` as the gateway sends
 * them, voice-agent asking a real booking service over `booking.request`, booking talking to the Cal.com
 * simulator; real Kafka, MariaDB and Redis.
 */
describe('voice functions during a call', () => {
  const TZ = 'Europe/Berlin';
  const companyId = uniqueName('va-co');
  const company = { id: companyId, name: 'Praxis Sonnenschein', timeZone: TZ, language: 'de', currency: 'EUR', branchId: null };
  const caller = '+4915112345678';
  const practiceLine = '+49301234567';
  const callId = uniqueName('call');

  let sim: RunningSimulator<CalcomState>;
  let booking: TestBooking | null;
  let bookingDb: Awaited<ReturnType<typeof createBookingDatabase>>;
  const bookingEnv = () => ({ CALCOM_BASE_URL: sim.url, CALCOM_API_KEY: 'cal_test_voice', CALCOM_TEAM_SLUG: 'demo-praxis', CALCOM_REQUEST_TIMEOUT_MS: '2000' });
  let voice: TestVoiceAgent;
  let requester: VoiceRequester;
  let producer: MessageProducer;
  let events: Awaited<ReturnType<typeof collectMessages>>;

  const call = (fn: string, args: Record<string, unknown> = {}, extra: Partial<{ fromNumber: string | null; callId: string | null; requestKey: string; timeoutMs: number }> = {}) =>
    requester.call(
      {
        function: fn,
        callId: extra.callId === undefined ? callId : extra.callId,
        args,
        call: { call_id: callId, from_number: extra.fromNumber === undefined ? caller : extra.fromNumber, to_number: practiceLine },
        company,
        fromNumber: extra.fromNumber === undefined ? caller : extra.fromNumber,
        toNumber: practiceLine,
        requestKey: extra.requestKey ?? uniqueName('rk'),
      },
      extra.timeoutMs ?? 8000,
    );
  const accepted = () => [...sim.state.bookings.values()].filter((b) => b.status === 'accepted');
  const local = (iso: string) => {
    const p = zonedParts(new Date(iso), TZ);
    return { day: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${String(p.minute).padStart(2, '0')}` };
  };
  /** The date the caller means by `words`, as the test expects it. */
  const dayOf = (words: string) => {
    const d = parseWhen(words, zonedNow(TZ)).date;
    if (d?.kind !== 'day') throw new Error(`not a day: ${words}`);
    return `${d.date.year}-${d.date.month}-${d.date.day}`;
  };
  const spoken = (reply: VoiceFunctionReply) => {
    // Always a sentence to speak, never an exception's text.
    expect(reply.message.length).toBeGreaterThan(10);
    expect(reply.message).not.toMatch(/error|exception|undefined|null|\{|\}|\[object/i);
    return reply.message;
  };

  beforeAll(async () => {
    sim = await startSimulator(calcomSimulator, { port: 0 });
    events = await collectMessages(
      testKafka(),
      [Topics.setupApplied.name, Topics.bookingCreated.name, Topics.bookingRescheduled.name, Topics.bookingCancelled.name, Topics.callbackRequested.name],
      { fromBeginning: false },
    );
    // booking's database outlives one booking instance: the last test stops booking and starts it again.
    bookingDb = await createBookingDatabase();
    [booking, voice, requester] = await Promise.all([
      startBooking(bookingEnv(), { companies: [companyId], database: bookingDb.database }),
      startVoiceAgent({ CALLBACK_RETRY_MS: '300' }, { companies: [companyId] }),
      startVoiceRequester(),
    ]);
    producer = new MessageProducer(testKafka());
    await producer.connect();

    // The company's booking set-up, as the gateway's onboarding sends it (matches the simulator's default event types).
    const doc: z.input<typeof bookingSetupSchema> = {
      companyId,
      revision: 'rev-1',
      timeZone: TZ,
      language: 'de',
      calcomTeamSlug: 'demo-praxis',
      services: [
        { key: 'beratung', name: 'Beratung', aliases: ['Erstgespräch', 'Consultation'], calcomEventTypeId: 1001, durationMinutes: 30, priceMinor: 5000 },
        { key: 'haarschnitt', name: 'Haarschnitt', aliases: ['Herrenschnitt'], calcomEventTypeId: 1002, durationMinutes: 45, priceMinor: 3500 },
      ],
      staff: [{ key: 'anna', name: 'Anna Berger', calcomUserId: null, serviceKeys: ['beratung', 'haarschnitt'] }],
      branches: [],
      openingHours: { mon: [['08:00', '18:00']], tue: [['08:00', '18:00']], wed: [['08:00', '18:00']], thu: [['08:00', '18:00']], fri: [['08:00', '18:00']] },
      policies: { minNoticeMinutes: 60, cancellationNoticeHours: 24, maxReschedules: 2, bookingHorizonDays: 60 },
    };
    await producer.publish({
      topic: Topics.bookingSetup.name,
      key: companyId,
      envelope: createEnvelope({ type: Topics.bookingSetup.name, source: 'gateway', companyId, subject: 'rev-1', data: doc }),
    });
    await waitFor(
      () => events.messages.some((m) => m.topic === Topics.setupApplied.name && JSON.parse(m.value!.toString()).companyId === companyId),
      { message: 'company.setup.applied', timeoutMs: 30000 },
    );
  });

  afterAll(async () => {
    await requester?.stop();
    await producer?.disconnect();
    await events?.stop();
    await voice?.close();
    await booking?.close();
    await bookingDb?.drop();
    await sim?.close();
  });

  it('initialize_call: the date context, the services and an unknown caller greeted as new', async () => {
    const reply = await call('get_current_context_v17', { call_id: callId });
    expect(reply).toMatchObject({ success: true, data: { customer: { known: false, status: 'new_customer' }, language: 'de', bookingReachable: true } });
    expect(spoken(reply)).toBe('Guten Tag! Wie kann ich Ihnen helfen?');
    const vars = reply.data!.dynamicVariables as Record<string, string>;
    const today = zonedNow(TZ).local;
    expect(vars).toMatchObject({ company_name: 'Praxis Sonnenschein', customer_known: 'false', customer_phone: caller, language: 'de' });
    expect(vars.current_date).toBe(`${today.year}-${String(today.month).padStart(2, '0')}-${String(today.day).padStart(2, '0')}`);
    expect(vars.services).toBe('Beratung, Haarschnitt');
    expect(Object.values(vars).every((v) => typeof v === 'string')).toBe(true);
    expect((reply.data!.services as { name: string }[]).map((s) => s.name)).toEqual(['Beratung', 'Haarschnitt']);
  });

  it('scripted call: check → collect → book → list → reschedule → cancel', async () => {
    const wednesday = dayOf('nächste Woche Mittwoch');
    const thursday = dayOf('nächste Woche Donnerstag');

    // check_availability: German argument names, a service alias, a spoken day and time.
    const check = await call('check_availability', { dienstleistung: 'erstgespräch', datum: 'nächste Woche Mittwoch', uhrzeit: '14:30' });
    expect(check).toMatchObject({ success: true, data: { available: true, serviceName: 'Beratung' } });
    const option = (check.data!.options as { start: string; spoken: string }[])[0];
    expect(local(option.start)).toEqual({ day: wednesday, time: '14:30' });
    expect(option.start).toMatch(/T14:30:00\+0[12]:00$/);
    expect(spoken(check)).toMatch(/^Ja, am Mittwoch, den \d+\. \p{L}+ um 14:30 Uhr ist ein Termin für Beratung frei\. Soll ich/u);

    // A vague period gives up to three concrete options in it.
    const afternoon = await call('check_availability_v4', { service_name: 'Beratung', date: 'nächste Woche Mittwoch', time: 'nachmittags' });
    expect(afternoon.success).toBe(true);
    const afternoonOptions = afternoon.data!.options as { start: string }[];
    expect(afternoonOptions.length).toBe(3);
    for (const o of afternoonOptions) expect(Number(local(o.start).time.split(':')[0])).toBeGreaterThanOrEqual(13);
    expect(spoken(afternoon)).toMatch(/ oder /);

    // collect_appointment: the draft grows; a placeholder name is refused and changes nothing.
    const collected = await call('collect_appointment_data', {
      name: 'Max Muster',
      datum: 'nächste Woche Mittwoch',
      uhrzeit: '14:30',
      dienstleistung: 'Beratung',
      email: 'max punkt muster at example punkt com',
    });
    expect(collected).toMatchObject({ success: true, data: { available: true, awaitingConfirmation: true, draft: { customerName: 'Max Muster', email: 'max.muster@example.com', phone: caller, serviceName: 'Beratung', time: '14:30' } } });
    expect(spoken(collected)).toMatch(/Soll ich ihn auf den Namen Max Muster für Sie buchen\?$/);
    const placeholder = await call('collect_appointment', { name: 'Unbekannt', telefon: 'abc' });
    expect(placeholder).toMatchObject({ success: false, code: 'empty_name', data: { invalid: ['name', 'phone'] } });
    spoken(placeholder);
    expect(accepted()).toHaveLength(0);

    // book_appointment from the draft; Retell's retry (same request key) and a repeat (new key) give the same booking.
    const requestKey = uniqueName('book');
    const booked = await call('start_booking', {}, { requestKey });
    expect(booked).toMatchObject({ success: true, data: { booked: true, serviceName: 'Beratung' } });
    expect(spoken(booked)).toMatch(/^Perfekt! Ihr Termin für Beratung am Mittwoch, den \d+\. \p{L}+ um 14:30 Uhr ist gebucht\./u);
    const appointmentId = booked.data!.appointmentId as string;
    expect(appointmentId).toBeTruthy();
    const retried = await call('start_booking', {}, { requestKey });
    expect(retried).toEqual(booked);
    const repeated = await call('book_appointment', { datum: 'nächste Woche Mittwoch', uhrzeit: '14:30', dienstleistung: 'Beratung', name: 'Max Muster' });
    expect(repeated.data?.appointmentId).toBe(appointmentId);
    expect(accepted()).toHaveLength(1);
    expect(local(accepted()[0].start)).toEqual({ day: wednesday, time: '14:30' });
    await waitFor(() => events.messages.some((m) => m.topic === Topics.bookingCreated.name && JSON.parse(m.value!.toString()).companyId === companyId), { message: 'booking.created' });

    // The same slot for another caller is taken: alternatives, not an error.
    const other = await call('book_appointment', { datum: 'nächste Woche Mittwoch', uhrzeit: '14:30', dienstleistung: 'Beratung', name: 'Erika Muster' }, { fromNumber: '+4915199999999', callId: uniqueName('call') });
    expect(other).toMatchObject({ success: true, code: 'slot_taken', data: { booked: false } });
    expect((other.data!.options as unknown[]).length).toBeGreaterThan(0);
    expect(spoken(other)).toMatch(/gerade vergeben.*\?$/);
    expect(accepted()).toHaveLength(1);

    // get_customer_appointments: the caller's own, by number.
    const list = await call('query_appointment', {});
    expect(list).toMatchObject({ success: true, data: { appointments: [{ appointmentId, serviceName: 'Beratung' }] } });
    expect(spoken(list)).toMatch(/^Sie haben einen Termin: Beratung am Mittwoch/);

    // reschedule_appointment to Thursday 10:00.
    const moved = await call('reschedule_appointment', { new_datum: 'nächste Woche Donnerstag', new_uhrzeit: '10 Uhr' });
    expect(moved).toMatchObject({ success: true, data: { rescheduled: true } });
    expect(spoken(moved)).toMatch(/wurde auf Donnerstag, den \d+\. \p{L}+ um 10:00 Uhr verschoben/u);
    await waitFor(() => accepted().length === 1 && local(accepted()[0].start).time === '10:00', { message: 'the simulator booking moved' });
    expect(local(accepted()[0].start)).toEqual({ day: thursday, time: '10:00' });

    // cancel_appointment, found by its day.
    const cancelled = await call('cancel_appointment', { datum: 'nächste Woche Donnerstag', grund: 'krank' });
    expect(cancelled).toMatchObject({ success: true, data: { cancelled: true } });
    expect(spoken(cancelled)).toMatch(/wurde storniert/);
    await waitFor(() => accepted().length === 0, { message: 'the simulator booking cancelled' });
    const after = await call('get_customer_appointments', {});
    expect(after).toMatchObject({ success: true, code: 'no_appointments', data: { appointments: [] } });
  });

  it('bad input: a speakable refusal with a code, and nothing changes', async () => {
    const before = sim.state.bookings.size;
    const cases: [string, Record<string, unknown>, string][] = [
      ['check_availability', { dienstleistung: 'Zahnreinigung', datum: 'morgen' }, 'unknown_service'],
      ['check_availability', { dienstleistung: 'Beratung', datum: '01.01.2020' }, 'date_in_past'],
      ['check_availability', { dienstleistung: 'Beratung', datum: 'am Sankt Nimmerleinstag' }, 'invalid_date'],
      ['collect_appointment', { telefon: 'nicht vorhanden' }, 'invalid_phone'],
      ['collect_appointment', { email: 'max at' }, 'invalid_email'],
      ['book_appointment', { dienstleistung: 'Beratung', datum: 'nächste Woche Freitag', uhrzeit: '11:00', name: 'Anonym' }, 'empty_name'],
      ['cancel_appointment', { termin_id: 'not-mine' }, 'not_found'],
    ];
    for (const [fn, args, code] of cases) {
      const reply = await call(fn, args, { callId: uniqueName('bad') });
      expect({ fn, success: reply.success, code: reply.code }).toEqual({ fn, success: false, code });
      spoken(reply);
    }
    const missing = await call('book_appointment', { dienstleistung: 'Beratung' }, { callId: uniqueName('bad') });
    expect(missing).toMatchObject({ success: false, code: 'missing_fields', data: { missing: ['date', 'time', 'name'] } });
    expect(sim.state.bookings.size).toBe(before);
  });

  it('an unknown function is refused with unknown_function and counted', async () => {
    const count = async () => (await registry.getSingleMetric('voice_unknown_function_calls_total')?.get())?.values[0]?.value ?? 0;
    const before = await count();
    const reply = await call('transfer_call_v3', { number: '+49301111111' });
    expect(reply).toMatchObject({ success: false, code: 'unknown_function' });
    expect(spoken(reply)).toBe('Diese Funktion wird leider nicht unterstützt.');
    expect(await count()).toBe(before + 1);
  });

  it('an anonymous caller is never matched: no listing, cancelling or moving', async () => {
    for (const fn of ['get_customer_appointments', 'cancel_appointment', 'reschedule_appointment']) {
      const reply = await call(fn, { customer_name: 'Max Muster', datum: 'nächste Woche Mittwoch', new_datum: 'übermorgen' }, { fromNumber: null });
      expect({ fn, success: reply.success, code: reply.code }).toEqual({ fn, success: false, code: 'anonymous_caller' });
      expect(spoken(reply)).toMatch(/Telefonnummer übertragen/);
    }
    const init = await call('initialize_call', {}, { fromNumber: null });
    expect(init).toMatchObject({ success: true, data: { customer: { known: false, status: 'anonymous' } } });
  });

  it('a known caller is greeted by name with the upcoming appointment', async () => {
    const knownCall = uniqueName('call');
    const booked = await call('book_appointment', { datum: 'nächste Woche Freitag', uhrzeit: '9:30', dienstleistung: 'Beratung', name: 'Max Muster' }, { callId: knownCall });
    expect(booked).toMatchObject({ success: true, data: { booked: true } });
    const init = await call('initialize_call', {}, { callId: uniqueName('call') });
    expect(init).toMatchObject({ success: true, data: { customer: { known: true, name: 'Max Muster' } } });
    expect(spoken(init)).toBe('Willkommen zurück, Max Muster! Wie kann ich Ihnen helfen?');
    expect((init.data!.upcomingAppointments as unknown[]).length).toBe(1);
    expect((init.data!.dynamicVariables as Record<string, string>).upcoming_appointments).toMatch(/^Sie haben einen Termin: Beratung am Freitag/);
  });

  it('booking down: the spoken fallback within the deadline; the wish reaches booking once it is back', async () => {
    await booking!.close();
    booking = null;
    const started = Date.now();
    const reply = await call('book_appointment', { datum: 'nächste Woche Freitag', uhrzeit: '11:00', dienstleistung: 'Beratung', name: 'Erika Muster' }, { callId: uniqueName('down'), timeoutMs: 3000 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(reply).toMatchObject({ success: false, code: 'calendar_unavailable', data: { callbackRecorded: true } });
    expect(spoken(reply)).toMatch(/Ein Mitarbeiter ruft Sie zurück/);

    const ds = new DataSource({ type: 'mysql', ...testInfra.db, database: voice.database });
    await ds.initialize();
    try {
      const rows = await ds.query('SELECT company_id, phone, reason, delivered_at, wish FROM callback_wish WHERE id = ?', [reply.data!.callbackWishId]);
      expect(rows).toEqual([expect.objectContaining({ company_id: companyId, phone: caller, reason: 'calendar_unavailable', delivered_at: null })]);
      expect(rows[0].wish).toMatch(/Beratung.*Erika Muster/);

      // Nobody is lost: booking back → the wish is handed over and booking records it (booking.callback-requested).
      booking = await startBooking(bookingEnv(), { companies: [companyId], database: bookingDb.database });
      await waitFor(
        async () => (await ds.query('SELECT delivered_at FROM callback_wish WHERE id = ?', [reply.data!.callbackWishId]))[0].delivered_at,
        { message: 'callback wish delivered', timeoutMs: 30000 },
      );
      const requested = await waitFor(
        () => events.messages.map((m) => JSON.parse(m.value!.toString())).find((e) => e.type === Topics.callbackRequested.name && e.companyId === companyId),
        { message: 'booking.callback-requested' },
      );
      expect(JSON.stringify(requested.data)).toMatch(/Erika Muster/);
      expect(accepted()).toHaveLength(1); // only the known caller's Friday booking; nothing booked behind the caller's back
    } finally {
      await ds.destroy();
    }
  });
});
