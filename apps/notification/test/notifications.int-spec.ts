import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { RunningSimulator, startSimulator, TranslateState, translateSimulator, twilioSimulator, TwilioState } from '@receptionist/simulators';
import { collectMessages, testInfra, testKafka, uniqueName, waitFor } from '@receptionist/testing';
import { startNotification, TestNotification, TestPublisher, TEST_FROM } from './notification-app';

jest.setTimeout(90_000);

/**
 * notification against the real broker and database and the Twilio simulator: booking facts become exactly one
 * message each, reminders are stored, moved, dropped and sent once (also with two instances and across a
 * restart), quiet hours and STOP hold messages back, Twilio's 5xx are retried and its 21211 is not.
 */
describe('notification (Kafka, MariaDB, Twilio simulator)', () => {
  const prefix = uniqueName('nco');
  let sim: RunningSimulator<TwilioState>;
  let translate: RunningSimulator<TranslateState>;
  let service: TestNotification;
  let publisher: TestPublisher;
  let db: DataSource;
  let collector: Awaited<ReturnType<typeof collectMessages>>;

  beforeAll(async () => {
    sim = await startSimulator(twilioSimulator, { port: 0 });
    translate = await startSimulator(translateSimulator, { port: 0 });
    service = await startNotification({ TWILIO_API_BASE: sim.url, TRANSLATE_BASE_URL: translate.url }, { companies: [`${prefix}*`] });
    publisher = await new TestPublisher().start();
    db = new DataSource({ type: 'mysql', ...testInfra.db, database: service.database, timezone: 'Z' });
    await db.initialize();
    collector = await collectMessages(testKafka(), [Topics.notificationSent.name, Topics.notificationFailed.name, `${Topics.bookingCreated.name}.dlq`], { fromBeginning: false });
  });

  afterAll(async () => {
    await collector?.stop();
    await publisher?.stop();
    await db?.destroy();
    await service?.close();
    await sim?.close();
    await translate?.close();
  });

  let n = 0;
  const company = () => `${prefix}-c${++n}`;
  const phone = () => `+4917${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;

  async function setup(companyId: string, settings: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
    const revision = uniqueName('rev');
    await publisher.publish(Topics.notificationSetup.name, companyId, companyId, {
      companyId,
      revision,
      companyName: 'Salon Sonne',
      timeZone: 'Europe/Berlin',
      language: 'de',
      settings: { channels: ['sms'], confirmation: true, remindersMinutesBefore: [1440], senderId: null, quietHours: null, ...settings },
      ...extra,
    });
    await waitFor(async () => (await db.query('SELECT 1 FROM company_notification_settings WHERE company_id = ? AND revision = ?', [companyId, revision])).length > 0, {
      message: `settings of ${companyId}`,
    });
  }

  function appointment(companyId: string, to: string | null, startsAt: Date, overrides: Record<string, unknown> = {}) {
    return {
      appointmentId: `${companyId}-a-${randomUUID().slice(0, 8)}`,
      calcomBookingUid: null,
      serviceId: 'svc-1',
      serviceName: 'Herrenschnitt',
      staffId: null,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 30 * 60_000).toISOString(),
      timeZone: 'Europe/Berlin',
      customer: { customerId: 'cust-1', name: 'Max Muster', phone: to, email: null, language: 'de' },
      callId: null,
      ...overrides,
    };
  }

  const sentTo = (to: string) => sim.state.outbound().filter((m) => m.to === to || m.to === `whatsapp:${to}`);
  const postsTo = (to: string) =>
    sim.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json') && (r.body as Record<string, string>)?.To === to);
  const events = (topic: string, companyId: string) =>
    collector.messages
      .filter((m) => m.topic === topic)
      .map((m) => JSON.parse(m.value!.toString()))
      .filter((e) => e.companyId === companyId);
  const rows = (appointmentId: string) =>
    db.query('SELECT kind, status, due_at AS dueAt, error_code AS errorCode, body FROM notification_message WHERE appointment_id = ? ORDER BY due_at', [appointmentId]);

  /** A Berlin time "tomorrow at 14:30" far from any quiet hours. */
  function tomorrowAt(hour: number, minute: number): Date {
    const d = new Date(Date.now() + 2 * 24 * 3600_000);
    const berlin = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
    // Probe the offset at that date (CET +01:00 or CEST +02:00).
    for (const offset of ['+01:00', '+02:00']) {
      const candidate = new Date(`${berlin}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00${offset}`);
      const shown = new Intl.DateTimeFormat('de-DE', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' }).format(candidate);
      if (shown === `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`) return candidate;
    }
    throw new Error('no Berlin offset matched');
  }

  it('booking.created sends exactly one confirmation, in German, with the time on the company clock; a redelivery sends nothing more', async () => {
    const companyId = company();
    await setup(companyId);
    const to = phone();
    const startsAt = tomorrowAt(14, 30);
    const data = appointment(companyId, to, startsAt);
    const id = await publisher.publish(Topics.bookingCreated.name, data.appointmentId, companyId, data);

    await waitFor(() => sentTo(to).length === 1, { message: 'confirmation in the simulator' });
    const [message] = sentTo(to);
    const date = new Intl.DateTimeFormat('de-DE', { timeZone: 'Europe/Berlin', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(startsAt);
    expect(message.body).toBe(`Hallo Max Muster, Ihr Termin für Herrenschnitt bei Salon Sonne am ${date} um 14:30 Uhr ist bestätigt. Abmelden: STOP`);
    expect(message.from).toBe(TEST_FROM);
    expect(message.statusCallback).toContain(`/api/webhooks/twilio/status?company=${encodeURIComponent(companyId)}&message=`);
    await waitFor(() => events(Topics.notificationSent.name, companyId).length === 1, { message: 'notification.sent' });
    expect(events(Topics.notificationSent.name, companyId)[0].data).toMatchObject({ channel: 'sms', kind: 'confirmation', providerMessageId: message.sid, appointmentId: data.appointmentId });

    // The same envelope again (Kafka redelivery), and the same fact under a new id (a producer retry upstream).
    await publisher.publish(Topics.bookingCreated.name, data.appointmentId, companyId, data, id);
    await publisher.publish(Topics.bookingCreated.name, data.appointmentId, companyId, data);
    const marker = appointment(companyId, phone(), startsAt);
    await publisher.publish(Topics.bookingCreated.name, marker.appointmentId, companyId, marker);
    await waitFor(() => sentTo(marker.customer.phone!).length === 1, { message: 'marker confirmation' });
    expect(sentTo(to)).toHaveLength(1);
    const stored = await rows(data.appointmentId);
    expect(stored.filter((r: { kind: string }) => r.kind === 'confirmation')).toHaveLength(1);
    // The reminder a day before is stored, waiting.
    expect(stored.filter((r: { kind: string; status: string }) => r.kind === 'reminder' && r.status === 'scheduled')).toHaveLength(1);
  });

  it('English customers get English; other languages are translated once and cached, or fall back to the company language', async () => {
    const companyId = company();
    await setup(companyId);
    const to = phone();
    const data = appointment(companyId, to, tomorrowAt(9, 5), { customer: { customerId: 'c2', name: 'Jane Doe', phone: to, email: null, language: 'en' } });
    await publisher.publish(Topics.bookingCreated.name, data.appointmentId, companyId, data);
    await waitFor(() => sentTo(to).length === 1, { message: 'English confirmation' });
    expect(sentTo(to)[0].body).toMatch(/^Hello Jane Doe, your appointment for Herrenschnitt at Salon Sonne on .+ at 09:05 is confirmed\. Reply STOP to opt out\.$/);

    // French: the English template goes through the translation service (the simulator marks it "[fr] ");
    // dates in French; the second French booking is served from the cache.
    const before = translate.state.translatedTexts;
    const fr = phone();
    const french = appointment(companyId, fr, tomorrowAt(9, 5), { customer: { customerId: 'c3', name: 'Jean Dupont', phone: fr, email: null, language: 'fr' } });
    await publisher.publish(Topics.bookingCreated.name, french.appointmentId, companyId, french);
    await waitFor(() => sentTo(fr).length === 1, { message: 'French confirmation' });
    const frDate = new Intl.DateTimeFormat('fr', { timeZone: 'Europe/Berlin', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(new Date(french.startsAt));
    expect(sentTo(fr)[0].body).toBe(`[fr] Hello Jean Dupont, your appointment for Herrenschnitt at Salon Sonne on ${frDate} at 09:05 is confirmed. Reply STOP to opt out.`);
    const used = translate.state.translatedTexts - before;
    expect(used).toBeGreaterThan(0);
    const fr2 = phone();
    const again = appointment(companyId, fr2, tomorrowAt(9, 5), { customer: { customerId: 'c4', name: 'Marie Curie', phone: fr2, email: null, language: 'fr' } });
    await publisher.publish(Topics.bookingCreated.name, again.appointmentId, companyId, again);
    await waitFor(() => sentTo(fr2).length === 1, { message: 'second French confirmation' });
    expect(translate.state.translatedTexts - before).toBe(used);

    // Translation service down: Italian falls back to the company's German.
    translate.setFault({ mode: 'down' });
    try {
      const it = phone();
      const italian = appointment(companyId, it, tomorrowAt(9, 5), { customer: { customerId: 'c5', name: 'Dante A', phone: it, email: null, language: 'it' } });
      await publisher.publish(Topics.bookingCreated.name, italian.appointmentId, companyId, italian);
      await waitFor(() => sentTo(it).length === 1, { message: 'fallback confirmation' });
      expect(sentTo(it)[0].body).toMatch(/^Hallo Dante A, Ihr Termin für Herrenschnitt bei Salon Sonne am .+ um 09:05 Uhr ist bestätigt/);
    } finally {
      translate.setFault({ mode: 'normal' });
    }
  });

  it("a company's own template for a kind and language (from its set-up) replaces the built-in one", async () => {
    const companyId = company();
    const body = 'Moin {{customer_name}}! {{service_name}} am {{date}}, {{time}} Uhr.{{#company_name}} Ihr {{company_name}}{{/company_name}}';
    await setup(companyId, { templates: [{ kind: 'confirmation', language: 'de', body }] });
    expect(await db.query('SELECT kind, language, body FROM notification_template WHERE company_id = ?', [companyId])).toEqual([{ kind: 'confirmation', language: 'de', body }]);
    // A later set-up without the list leaves the company's texts as they are.
    await setup(companyId);
    expect(await db.query('SELECT body FROM notification_template WHERE company_id = ?', [companyId])).toHaveLength(1);
    const to = phone();
    const data = appointment(companyId, to, tomorrowAt(8, 45));
    await publisher.publish(Topics.bookingCreated.name, data.appointmentId, companyId, data);
    await waitFor(() => sentTo(to).length === 1, { message: 'confirmation' });
    expect(sentTo(to)[0].body).toMatch(/^Moin Max Muster! Herrenschnitt am .+, 08:45 Uhr\. Ihr Salon Sonne$/);
  });

  it('a reminder comes due and is sent once; a reschedule moves the reminders and a cancellation removes them', async () => {
    const companyId = company();
    await setup(companyId, { remindersMinutesBefore: [5] });
    const to = phone();
    // Starts in 5 minutes and 3 seconds: its 5-minute reminder is due in 3 seconds.
    const soon = new Date(Date.now() + 5 * 60_000 + 3_000);
    const later = tomorrowAt(15, 0);
    const data = appointment(companyId, to, later);
    await publisher.publish(Topics.bookingCreated.name, data.appointmentId, companyId, data);
    await waitFor(() => sentTo(to).length === 1, { message: 'confirmation' });
    expect((await rows(data.appointmentId)).filter((r: { kind: string }) => r.kind === 'reminder')).toHaveLength(1);

    await publisher.publish(Topics.bookingRescheduled.name, data.appointmentId, companyId, {
      ...data,
      startsAt: soon.toISOString(),
      endsAt: new Date(soon.getTime() + 30 * 60_000).toISOString(),
      previousStartsAt: data.startsAt,
      previousEndsAt: data.endsAt,
    });
    await waitFor(() => sentTo(to).length === 2, { message: 'reschedule notice' });
    expect(sentTo(to)[1].body).toContain('wurde auf');
    await waitFor(() => sentTo(to).length === 3, { timeoutMs: 15_000, message: 'reminder for the new time' });
    expect(sentTo(to)[2].body).toMatch(/^Erinnerung: Hallo Max Muster/);
    const reminders = (await rows(data.appointmentId)).filter((r: { kind: string }) => r.kind === 'reminder');
    // The reminder for the old time is gone; the one for the new time was sent.
    expect(reminders).toHaveLength(1);
    expect(reminders[0].status).not.toBe('scheduled');

    // Cancelling another appointment drops its pending reminders and tells the customer.
    const other = appointment(companyId, to, later);
    await publisher.publish(Topics.bookingCreated.name, other.appointmentId, companyId, other);
    await waitFor(async () => (await rows(other.appointmentId)).length === 2, { message: 'confirmation and reminder stored' });
    await publisher.publish(Topics.bookingCancelled.name, other.appointmentId, companyId, { ...other, reason: null, cancelledBy: 'customer' });
    await waitFor(() => sentTo(to).some((m) => m.body.includes('wurde storniert')), { message: 'cancellation notice' });
    const left = await rows(other.appointmentId);
    expect(left.map((r: { kind: string }) => r.kind).sort()).toEqual(['cancellation', 'confirmation']);
  });

  it('two instances polling the same database send each due reminder once, also when one of them stops before they are due', async () => {
    const companyId = company();
    await setup(companyId, { remindersMinutesBefore: [5] });
    const second = await startNotification({ TWILIO_API_BASE: sim.url }, { database: service.database, companies: [`${prefix}*`] });
    const third = await startNotification({ TWILIO_API_BASE: sim.url }, { database: service.database, companies: [`${prefix}*`] });
    try {
      const numbers = Array.from({ length: 20 }, phone);
      const dueIn = new Date(Date.now() + 5 * 60_000 + 4_000);
      for (const to of numbers) {
        const data = appointment(companyId, to, dueIn);
        await publisher.publish(Topics.bookingCreated.name, data.appointmentId, companyId, data);
      }
      await waitFor(() => numbers.every((to) => sentTo(to).length >= 1), { message: 'confirmations' });
      // One of the three goes away before the reminders are due; the other two race for them.
      await third.close();
      await waitFor(() => numbers.every((to) => sentTo(to).length >= 2), { timeoutMs: 20_000, message: 'reminders' });
      await new Promise((r) => setTimeout(r, 1_000));
      for (const to of numbers) {
        expect(sentTo(to).map((m) => m.body.slice(0, 10))).toEqual(['Hallo Max ', 'Erinnerung']);
      }
    } finally {
      await second.close();
    }
  });

  it('a restarted instance sends the reminder scheduled before the restart, once', async () => {
    // A company the main instance does not serve: only `first` and then its restart handle it.
    const companyId = uniqueName('ncr');
    const first = await startNotification({ TWILIO_API_BASE: sim.url }, { companies: [companyId] });
    const firstDb = new DataSource({ type: 'mysql', ...testInfra.db, database: first.database, timezone: 'Z' });
    await firstDb.initialize();
    let restarted: TestNotification | undefined;
    try {
      const revision = uniqueName('rev');
      await publisher.publish(Topics.notificationSetup.name, companyId, companyId, {
        companyId,
        revision,
        companyName: 'Praxis Mond',
        timeZone: 'Europe/Berlin',
        language: 'de',
        settings: { channels: ['sms'], confirmation: false, remindersMinutesBefore: [5], senderId: null, quietHours: null },
      });
      await waitFor(async () => (await firstDb.query('SELECT 1 FROM company_notification_settings WHERE revision = ?', [revision])).length > 0, { message: 'settings' });
      const to = phone();
      const data = appointment(companyId, to, new Date(Date.now() + 5 * 60_000 + 4_000));
      await publisher.publish(Topics.bookingCreated.name, data.appointmentId, companyId, data);
      await waitFor(async () => (await firstDb.query("SELECT 1 FROM notification_message WHERE kind = 'reminder' AND status = 'scheduled'")).length === 1, {
        message: 'reminder stored by the first instance',
      });
      await first.app.close();
      restarted = await startNotification({ TWILIO_API_BASE: sim.url }, { database: first.database, service: first.service, companies: [companyId] });
      await waitFor(() => sentTo(to).length === 1, { timeoutMs: 20_000, message: 'reminder after the restart' });
      await new Promise((r) => setTimeout(r, 800));
      expect(sentTo(to)).toHaveLength(1);
      expect(sentTo(to)[0].body).toMatch(/^Erinnerung: Hallo Max Muster, Ihr Termin für Herrenschnitt bei Praxis Mond/);
    } finally {
      await firstDb.destroy();
      await restarted?.close();
      await first.close().catch(() => undefined);
    }
  });

  it('quiet hours hold back everything but confirmations until they end', async () => {
    const companyId = company();
    // Quiet from an hour ago to an hour from now, on the company's (UTC) clock.
    const hhmm = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    const from = new Date(Date.now() - 3600_000);
    const until = new Date(Date.now() + 3600_000);
    await setup(companyId, { quietHours: [hhmm(from), hhmm(until)], remindersMinutesBefore: [1440] }, { timeZone: 'UTC' });
    const to = phone();
    const data = appointment(companyId, to, tomorrowAt(14, 30), { timeZone: 'UTC' });
    await publisher.publish(Topics.bookingCreated.name, data.appointmentId, companyId, data);
    await waitFor(() => sentTo(to).length === 1, { message: 'confirmation sent despite quiet hours' });

    const moved = new Date(data.startsAt);
    moved.setUTCHours(moved.getUTCHours() + 1);
    await publisher.publish(Topics.bookingRescheduled.name, data.appointmentId, companyId, {
      ...data,
      startsAt: moved.toISOString(),
      endsAt: new Date(moved.getTime() + 30 * 60_000).toISOString(),
      previousStartsAt: data.startsAt,
      previousEndsAt: data.endsAt,
    });
    const deferred = await waitFor(async () => {
      const r = (await rows(data.appointmentId)).find((x: { kind: string; status: string; dueAt: Date }) => x.kind === 'reschedule' && x.status === 'scheduled' && new Date(x.dueAt).getTime() > Date.now() + 30 * 60_000);
      return r;
    }, { message: 'reschedule notice deferred' });
    // Deferred to the end of the quiet hours (minute precision of HH:MM).
    expect(Math.abs(new Date(deferred.dueAt).getTime() - Math.floor(until.getTime() / 60_000) * 60_000)).toBeLessThan(60_000);
    expect(sentTo(to)).toHaveLength(1);
  });

  it('STOP stops everything for that company and number; START lets messages through again', async () => {
    const companyId = company();
    await setup(companyId);
    const to = phone();
    const data = appointment(companyId, to, tomorrowAt(11, 0));
    await publisher.publish(Topics.bookingCreated.name, data.appointmentId, companyId, data);
    await waitFor(() => sentTo(to).length === 1, { message: 'confirmation' });

    // The customer answers STOPP (German; Twilio does not know it, so we answer), forwarded by the gateway.
    await publisher.publish(Topics.twilioMessageInbound.name, `+${to}`, null, {
      accountSid: 'AC00000000000000000000000000000000',
      messageSid: `SM${randomUUID().replace(/-/g, '')}`,
      from: to,
      to: TEST_FROM,
      body: 'Stopp',
      params: {},
      receivedAt: new Date().toISOString(),
    });
    await waitFor(() => sentTo(to).length === 2, { message: 'opt-out answer' });
    expect(sentTo(to)[1].body).toBe('Sie erhalten keine Nachrichten mehr von Salon Sonne. Mit START melden Sie sich wieder an.');
    const optOut = await db.query('SELECT keyword FROM notification_opt_out WHERE company_id = ? AND phone = ?', [companyId, to]);
    expect(optOut).toEqual([{ keyword: 'STOPP' }]);
    // The day-before reminder waiting for this appointment will not go out.
    expect((await rows(data.appointmentId)).find((r: { kind: string }) => r.kind === 'reminder').status).toBe('skipped');

    // A later change is not sent.
    const other = appointment(companyId, to, tomorrowAt(12, 0));
    await publisher.publish(Topics.bookingCreated.name, other.appointmentId, companyId, other);
    await waitFor(async () => (await rows(other.appointmentId)).some((r: { status: string }) => r.status === 'skipped'), { message: 'confirmation skipped' });
    expect(sentTo(to)).toHaveLength(2);

    await publisher.publish(Topics.twilioMessageInbound.name, `+${to}`, null, {
      accountSid: 'AC00000000000000000000000000000000',
      messageSid: `SM${randomUUID().replace(/-/g, '')}`,
      from: to,
      to: TEST_FROM,
      body: 'START',
      params: {},
      receivedAt: new Date().toISOString(),
    });
    await waitFor(async () => (await db.query('SELECT 1 FROM notification_opt_out WHERE company_id = ? AND phone = ?', [companyId, to])).length === 0, { message: 'opt-in' });
    const third = appointment(companyId, to, tomorrowAt(13, 0));
    await publisher.publish(Topics.bookingCreated.name, third.appointmentId, companyId, third);
    // START is Twilio's own keyword: Twilio answers it, we send nothing but the new confirmation.
    await waitFor(() => sentTo(to).length === 3, { message: 'confirmation after START' });
    expect(sentTo(to)[2].body).toMatch(/^Hallo Max Muster/);
  });

  it('a 500 from Twilio is retried with back-off and then succeeds', async () => {
    const companyId = company();
    await setup(companyId);
    const to = phone();
    sim.state.failNext(2, { status: 500 });
    const data = appointment(companyId, to, tomorrowAt(10, 0));
    await publisher.publish(Topics.bookingCreated.name, data.appointmentId, companyId, data);
    await waitFor(() => sentTo(to).length === 1, { timeoutMs: 20_000, message: 'confirmation after retries' });
    expect(postsTo(to).map((r) => r.statusCode)).toEqual([500, 500, 201]);
    expect(events(Topics.notificationFailed.name, companyId)).toHaveLength(0);
    await waitFor(() => events(Topics.notificationSent.name, companyId).length === 1, { message: 'notification.sent' });
  });

  it('21211 (invalid number) is not retried: the message fails and notification.failed says so', async () => {
    const companyId = company();
    await setup(companyId);
    const to = '+15005550001'; // Twilio's magic "invalid number"
    const data = appointment(companyId, to, tomorrowAt(10, 0));
    await publisher.publish(Topics.bookingCreated.name, data.appointmentId, companyId, data);
    await waitFor(() => events(Topics.notificationFailed.name, companyId).length === 1, { message: 'notification.failed' });
    expect(events(Topics.notificationFailed.name, companyId)[0].data).toMatchObject({ kind: 'confirmation', errorCode: '21211', permanent: true, appointmentId: data.appointmentId });
    await new Promise((r) => setTimeout(r, 500));
    expect(postsTo(to).filter((r) => (r.body as Record<string, string>).Body.startsWith('Hallo'))).toHaveLength(1);
    expect((await rows(data.appointmentId)).find((r: { kind: string }) => r.kind === 'confirmation')).toMatchObject({ status: 'failed', errorCode: '21211' });
  });

  it('status callbacks move a message forward only; undelivered publishes notification.failed once', async () => {
    const companyId = company();
    await setup(companyId);
    const to = phone();
    const data = appointment(companyId, to, tomorrowAt(16, 0));
    await publisher.publish(Topics.bookingCreated.name, data.appointmentId, companyId, data);
    await waitFor(() => sentTo(to).length === 1, { message: 'confirmation' });
    const [row] = await db.query("SELECT id, provider_sid AS sid FROM notification_message WHERE appointment_id = ? AND kind = 'confirmation'", [data.appointmentId]);
    await waitFor(async () => (await db.query('SELECT provider_sid FROM notification_message WHERE id = ?', [row.id]))[0].provider_sid, { message: 'sid recorded' });
    const sid = sentTo(to)[0].sid;
    const status = (messageStatus: string, errorCode: string | null = null) =>
      publisher.publish(Topics.twilioMessageStatus.name, sid, companyId, {
        accountSid: 'AC00000000000000000000000000000000',
        messageSid: sid,
        messageStatus,
        errorCode,
        to,
        from: TEST_FROM,
        notificationMessageId: row.id,
        notificationCompanyId: companyId,
        params: {},
        receivedAt: new Date().toISOString(),
      });
    const current = async () => (await db.query('SELECT status, error_code AS errorCode FROM notification_message WHERE id = ?', [row.id]))[0];

    await status('sent');
    await waitFor(async () => (await current()).status === 'sent', { message: 'sent' });
    await status('undelivered', '30003');
    await waitFor(async () => (await current()).status === 'undelivered', { message: 'undelivered' });
    expect(await current()).toEqual({ status: 'undelivered', errorCode: '30003' });
    // Late or repeated callbacks change nothing and publish nothing more.
    await status('sent');
    await status('undelivered', '30003');
    await waitFor(() => events(Topics.notificationFailed.name, companyId).length >= 1, { message: 'notification.failed' });
    await new Promise((r) => setTimeout(r, 600));
    expect((await current()).status).toBe('undelivered');
    const failed = events(Topics.notificationFailed.name, companyId);
    expect(failed).toHaveLength(1);
    expect(failed[0].data).toMatchObject({ messageId: row.id, errorCode: '30003', permanent: true, kind: 'confirmation' });
  });

  it('an event without a phone number is dead-lettered with the reason, and nothing is sent', async () => {
    const companyId = company();
    const data = appointment(companyId, null, tomorrowAt(10, 0));
    await publisher.publish(Topics.bookingCreated.name, data.appointmentId, companyId, data);
    const dead = await waitFor(
      () => collector.messages.find((m) => m.topic === `${Topics.bookingCreated.name}.dlq` && JSON.parse(m.value!.toString()).data.appointmentId === data.appointmentId),
      { message: 'dead letter' },
    );
    expect(dead.headers?.['kafka_dlt-exception-message']?.toString()).toContain('customer.phone: missing');
    expect(await rows(data.appointmentId)).toHaveLength(0);
  });
});
