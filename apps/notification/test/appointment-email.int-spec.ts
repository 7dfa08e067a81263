import { randomUUID } from 'node:crypto';
import ICAL from 'ical.js';
import { DataSource } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { createSmtpSimulator, RunningSimulator, SmtpState, startSimulator, TranslateState, translateSimulator, twilioSimulator, TwilioState } from '@receptionist/simulators';
import { testInfra, uniqueName, waitFor } from '@receptionist/testing';
import { NotificationPrivacyHandler } from '../src/privacy/privacy.handler';
import { startNotification, TestNotification, TestPublisher } from './notification-app';

jest.setTimeout(90_000);

/**
 * Appointment e-mails against the real broker and database, the SMTP and Twilio simulators: a booking for a customer
 * with an address at a company that lists `email` yields one e-mail whose `.ics` parses back (ical.js) to the
 * appointment; its cancellation a METHOD:CANCEL for the same UID; no e-mail when the company has e-mail off or the
 * customer has no address.
 */
describe('appointment e-mails (Kafka, MariaDB, SMTP simulator)', () => {
  const prefix = uniqueName('nem');
  let smtp: RunningSimulator<SmtpState>;
  let twilio: RunningSimulator<TwilioState>;
  let translate: RunningSimulator<TranslateState>;
  let service: TestNotification;
  let publisher: TestPublisher;
  let db: DataSource;

  beforeAll(async () => {
    smtp = await startSimulator(createSmtpSimulator(), { port: 0 });
    twilio = await startSimulator(twilioSimulator, { port: 0 });
    translate = await startSimulator(translateSimulator, { port: 0 });
    service = await startNotification(
      { TWILIO_API_BASE: twilio.url, TRANSLATE_BASE_URL: translate.url, SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.state.mailPort), SMTP_FROM: 'Salon Bookings <termine@salon.test>' },
      { companies: [`${prefix}*`] },
    );
    publisher = await new TestPublisher().start();
    db = new DataSource({ type: 'mysql', ...testInfra.db, database: service.database, timezone: 'Z' });
    await db.initialize();
  });

  afterAll(async () => {
    await publisher?.stop();
    await db?.destroy();
    await service?.close();
    await smtp?.close();
    await twilio?.close();
    await translate?.close();
  });

  let n = 0;
  const company = () => `${prefix}-c${++n}`;
  const phone = () => `+4917${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
  const smsTo = (to: string) => twilio.state.outbound().filter((m) => m.to === to);

  async function setup(companyId: string, channels: string[]) {
    const revision = uniqueName('rev');
    await publisher.publish(Topics.notificationSetup.name, companyId, companyId, {
      companyId,
      revision,
      companyName: 'Salon Sonne',
      timeZone: 'Europe/Berlin',
      language: 'de',
      settings: { channels, confirmation: true, remindersMinutesBefore: [1440], senderId: null, quietHours: null },
    });
    await waitFor(async () => (await db.query('SELECT 1 FROM company_notification_settings WHERE company_id = ? AND revision = ?', [companyId, revision])).length > 0, {
      message: `settings of ${companyId}`,
    });
  }

  function appointment(companyId: string, customer: { phone: string | null; email: string | null; language?: string }, startsAt: Date, extra: Record<string, unknown> = {}) {
    return {
      appointmentId: `${companyId}-a-${randomUUID().slice(0, 8)}`,
      calcomBookingUid: null,
      serviceId: 'svc-1',
      serviceName: 'Herrenschnitt',
      staffId: null,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 45 * 60_000).toISOString(),
      timeZone: 'Europe/Berlin',
      customer: { customerId: 'cust-1', name: 'Max Muster', language: 'de', ...customer },
      callId: null,
      version: 1,
      ...extra,
    };
  }

  /** The e-mail's `.ics` attachment, parsed back with ical.js. */
  function invitation(mail: SmtpState extends { to(a: string): (infer M)[] } ? M : never) {
    const ics = mail.attachments.find((a) => a.contentType.startsWith('text/calendar'));
    expect(ics).toBeDefined();
    const calendar = new ICAL.Component(ICAL.parse(Buffer.from(ics!.content, 'base64').toString('utf8')));
    const vevent = calendar.getFirstSubcomponent('vevent')!;
    const event = new ICAL.Event(vevent);
    return { contentType: ics!.contentType, method: calendar.getFirstPropertyValue('method'), event, sequence: vevent.getFirstPropertyValue('sequence') };
  }

  const startAt = () => new Date(Math.ceil((Date.now() + 3 * 24 * 3600_000) / 3600_000) * 3600_000);

  it('a booking yields exactly one e-mail with a valid .ics invitation; a move a new REQUEST and its cancellation a CANCEL for the same UID', async () => {
    const companyId = company();
    await setup(companyId, ['sms', 'email']);
    const email = `max.${randomUUID().slice(0, 8)}@example.com`;
    const tel = phone();
    const startsAt = startAt();
    const data = appointment(companyId, { phone: tel, email }, startsAt);
    const id = await publisher.publish(Topics.bookingCreated.name, data.appointmentId, companyId, data);
    // The same envelope again (redelivery) and the same fact under another id: still one e-mail.
    await publisher.publish(Topics.bookingCreated.name, data.appointmentId, companyId, data, id);
    await publisher.publish(Topics.bookingCreated.name, data.appointmentId, companyId, data);

    await waitFor(() => smtp.state.to(email).length === 1 && smsTo(tel).length === 1, { message: 'e-mail and SMS confirmation' });
    const [mail] = smtp.state.to(email);
    expect(mail.subject).toBe('Terminbestätigung · Herrenschnitt · Salon Sonne');
    expect(mail.from.join()).toContain('termine@salon.test');
    expect(mail.text).toContain('Hallo Max Muster, Ihr Termin für Herrenschnitt bei Salon Sonne');
    expect(mail.text).not.toContain('STOP');
    const unsubscribe = mail.headers['list-unsubscribe'];
    expect(unsubscribe).toMatch(/^<mailto:termine@salon\.test\?subject=unsubscribe/);
    expect(mail.text).toContain(`Keine Termin-E-Mails mehr erhalten: ${unsubscribe.slice(1, -1)}`);

    const created = invitation(mail);
    expect(created.contentType).toContain('text/calendar');
    expect(created.method).toBe('REQUEST');
    expect(created.event.uid).toBe(`appointment-${data.appointmentId}@receptionist`);
    expect(created.event.summary).toBe('Herrenschnitt – Salon Sonne');
    expect(created.event.startDate.toJSDate().toISOString()).toBe(startsAt.toISOString());
    expect(created.event.endDate.toJSDate().toISOString()).toBe(data.endsAt);
    expect(created.sequence).toBe(0);
    expect(created.event.attendees.map((a) => String(a.getFirstValue()).toLowerCase())).toEqual([`mailto:${email}`]);

    const recorded = await db.query(`SELECT channel, kind, status FROM notification_message WHERE appointment_id = ? AND channel = 'email'`, [data.appointmentId]);
    expect(recorded).toEqual([{ channel: 'email', kind: 'confirmation', status: 'sent' }]);

    // Moved: a new REQUEST for the same UID with the next SEQUENCE and the new time.
    const movedStart = new Date(startsAt.getTime() + 2 * 3600_000);
    const moved = { ...data, version: 2, startsAt: movedStart.toISOString(), endsAt: new Date(movedStart.getTime() + 45 * 60_000).toISOString(), previousStartsAt: data.startsAt, previousEndsAt: data.endsAt };
    await publisher.publish(Topics.bookingRescheduled.name, data.appointmentId, companyId, moved);
    await waitFor(() => smtp.state.to(email).length === 2, { message: 'change e-mail' });
    expect(smtp.state.to(email)[1].subject).toBe('Termin verschoben · Herrenschnitt · Salon Sonne');
    const change = invitation(smtp.state.to(email)[1]);
    expect(change.method).toBe('REQUEST');
    expect(change.event.uid).toBe(created.event.uid);
    expect(change.sequence).toBe(1);
    expect(change.event.startDate.toJSDate().toISOString()).toBe(movedStart.toISOString());

    const cancelled = { ...moved, version: 3, reason: null, cancelledBy: 'customer' };
    await publisher.publish(Topics.bookingCancelled.name, data.appointmentId, companyId, cancelled);
    await waitFor(() => smtp.state.to(email).length === 3, { message: 'cancellation e-mail' });
    const cancel = invitation(smtp.state.to(email)[2]);
    expect(smtp.state.to(email)[2].subject).toBe('Termin abgesagt · Herrenschnitt · Salon Sonne');
    // The MIME part says what the calendar does (mailparser drops the parameter; the raw message has it).
    expect(smtp.state.to(email)[2].raw).toMatch(/text\/calendar;[^]{0,80}method=CANCEL/i);
    expect(mail.raw).toMatch(/text\/calendar;[^]{0,80}method=REQUEST/i);
    expect(cancel.method).toBe('CANCEL');
    expect(cancel.event.uid).toBe(created.event.uid);
    expect(cancel.sequence).toBe(2);
    expect(cancel.event.component.getFirstPropertyValue('status')).toBe('CANCELLED');

    // Erasure by the customer's e-mail address also blanks the stored invitation and subject (they hold the address).
    const privacy = service.app.get(NotificationPrivacyHandler);
    const subject = { companyId, customerId: randomUUID(), phones: [] as string[], emails: [email], appointmentIds: [] as string[], callIds: [] as string[] };
    expect((await privacy.export(subject)).sections.messages).toHaveLength(3);
    await db.transaction((m) => privacy.erase(m, subject));
    const erased = await db.query(`SELECT to_number AS toNumber, subject, ics FROM notification_message WHERE appointment_id = ? AND channel = 'email'`, [data.appointmentId]);
    expect(erased).toEqual(Array.from({ length: 3 }, () => ({ toNumber: 'erased', subject: null, ics: null })));
  });

  it('no e-mail when the company has e-mail off or the customer has no address; none to an opted-out address; a customer with only an address gets it', async () => {
    const off = company();
    const on = company();
    await setup(off, ['sms']);
    await setup(on, ['sms', 'email']);
    const emailOff = `off.${randomUUID().slice(0, 8)}@example.com`;
    const telOff = phone();
    const telNoAddress = phone();
    const onlyEmail = `only.${randomUUID().slice(0, 8)}@example.com`;
    const startsAt = startAt();
    const a = appointment(off, { phone: telOff, email: emailOff }, startsAt);
    const b = appointment(on, { phone: telNoAddress, email: null }, startsAt);
    const c = appointment(on, { phone: null, email: onlyEmail, language: 'en' }, startsAt);
    // An address on the company's opt-out list gets nothing (the message is recorded as skipped).
    const optedOut = `out.${randomUUID().slice(0, 8)}@example.com`;
    await db.query(`INSERT INTO notification_opt_out (company_id, phone, keyword, opted_out_at) VALUES (?, ?, 'email', NOW(3))`, [on, optedOut]);
    const d = appointment(on, { phone: null, email: optedOut }, startsAt);
    await publisher.publish(Topics.bookingCreated.name, d.appointmentId, on, d);
    await publisher.publish(Topics.bookingCreated.name, a.appointmentId, off, a);
    await publisher.publish(Topics.bookingCreated.name, b.appointmentId, on, b);
    await publisher.publish(Topics.bookingCreated.name, c.appointmentId, on, c);

    // The later e-mail arriving shows the earlier facts were handled; their SMS confirmations went.
    await waitFor(() => smtp.state.to(onlyEmail).length === 1 && smsTo(telOff).length === 1 && smsTo(telNoAddress).length === 1, { message: 'messages of all three' });
    await waitFor(async () => (await db.query(`SELECT status FROM notification_message WHERE appointment_id = ?`, [d.appointmentId]))[0]?.status === 'skipped', {
      message: 'opted-out e-mail skipped',
    });
    expect(smtp.state.to(optedOut)).toHaveLength(0);
    expect(smtp.state.to(emailOff)).toHaveLength(0);
    expect(await db.query(`SELECT 1 FROM notification_message WHERE channel = 'email' AND appointment_id IN (?)`, [[a.appointmentId, b.appointmentId]])).toHaveLength(0);
    const [mail] = smtp.state.to(onlyEmail);
    expect(mail.subject).toBe('Appointment confirmed · Herrenschnitt · Salon Sonne');
    expect(mail.text).toContain('Stop receiving appointment e-mails: mailto:');
    expect(invitation(mail).event.uid).toBe(`appointment-${c.appointmentId}@receptionist`);
  });
});
