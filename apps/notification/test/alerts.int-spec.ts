import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { registry } from '@receptionist/observability';
import { createSmtpSimulator, RunningSimulator, SlackState, slackSimulator, SmtpState, startSimulator, translateSimulator, TranslateState, twilioSimulator, TwilioState } from '@receptionist/simulators';
import { testInfra, uniqueName, waitFor } from '@receptionist/testing';
import { DeadLetterWatcher } from '../src/alerts/dead-letter-watcher';
import { startNotification, TestNotification, TestPublisher, TEST_FROM } from './notification-app';

jest.setTimeout(120_000);

/**
 * Operator alerts against the real broker and database, the Twilio and Slack simulators: `balance.low` reaches the
 * company's alert contact by SMS and the operators' Slack once (also when redelivered), a run of permanent delivery
 * failures alerts once, a dead-lettered message alerts, and without SLACK_WEBHOOK_URL the Slack delivery is skipped
 * and counted.
 */
describe('notification alerts (Kafka, MariaDB, Twilio and Slack simulators)', () => {
  const prefix = uniqueName('nal');
  const quietPrefix = uniqueName('nalq');
  const webhook = `/services/T${randomUUID().slice(0, 8)}/B0ALERTS/secret`;
  let twilio: RunningSimulator<TwilioState>;
  let slack: RunningSimulator<SlackState>;
  let translate: RunningSimulator<TranslateState>;
  let smtp: RunningSimulator<SmtpState>;
  let service: TestNotification;
  let withoutSlack: TestNotification;
  let publisher: TestPublisher;
  let db: DataSource;
  let dbWithoutSlack: DataSource;

  const connect = async (database: string) => {
    const ds = new DataSource({ type: 'mysql', ...testInfra.db, database, timezone: 'Z' });
    await ds.initialize();
    return ds;
  };

  beforeAll(async () => {
    twilio = await startSimulator(twilioSimulator, { port: 0 });
    slack = await startSimulator(slackSimulator, { port: 0 });
    translate = await startSimulator(translateSimulator, { port: 0 });
    smtp = await startSimulator(createSmtpSimulator({ user: 'alerts', password: 'smtp-secret' }), { port: 0 });
    const common = {
      TWILIO_API_BASE: twilio.url,
      TRANSLATE_BASE_URL: translate.url,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.state.mailPort),
      SMTP_USER: 'alerts',
      SMTP_PASSWORD: 'smtp-secret',
      SMTP_FROM: 'Receptionist Alerts <alerts@receptionist.test>', ALERT_POLL_MS: '100', ALERT_RETRY_BASE_MS: '100' };
    service = await startNotification({ ...common, SLACK_WEBHOOK_URL: `${slack.url}${webhook}`, ALERT_FAILURE_THRESHOLD: '3' }, { companies: [`${prefix}*`] });
    withoutSlack = await startNotification(common, { companies: [`${quietPrefix}*`] });
    publisher = await new TestPublisher().start();
    db = await connect(service.database);
    dbWithoutSlack = await connect(withoutSlack.database);
  });

  afterAll(async () => {
    await publisher?.stop();
    await db?.destroy();
    await dbWithoutSlack?.destroy();
    await service?.close();
    await withoutSlack?.close();
    await twilio?.close();
    await slack?.close();
    await translate?.close();
    await smtp?.close();
  });

  let n = 0;
  const company = (p = prefix) => `${p}-c${++n}`;
  const phone = () => `+4917${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
  const smsTo = (to: string) => twilio.state.outbound().filter((m) => m.to === to);
  const slackAbout = (companyId: string) => slack.state.posts.filter((p) => p.text?.includes(companyId));

  async function setup(database: DataSource, companyId: string, alertContacts: unknown[], language = 'de') {
    const revision = uniqueName('rev');
    await publisher.publish(Topics.notificationSetup.name, companyId, companyId, {
      companyId,
      revision,
      companyName: 'Salon Sonne',
      timeZone: 'Europe/Berlin',
      language,
      settings: { channels: ['sms'], confirmation: true, remindersMinutesBefore: [1440], senderId: null, quietHours: null, alertContacts },
    });
    await waitFor(async () => (await database.query('SELECT 1 FROM company_notification_settings WHERE company_id = ? AND revision = ?', [companyId, revision])).length > 0, {
      message: `settings of ${companyId}`,
    });
  }

  const balanceLow = (companyId: string, balance: number, id?: string) =>
    publisher.publish(Topics.balanceLow.name, companyId, companyId, { balance, threshold: 1000, currency: 'EUR' }, id);

  const deliveries = (database: DataSource, companyId: string) =>
    database.query(
      `SELECT a.kind, a.dedupe_key AS dedupeKey, d.channel, d.recipient, d.status, d.error
         FROM notification_alert a JOIN notification_alert_delivery d ON d.alert_id = a.id WHERE a.company_id = ? ORDER BY a.created_at, d.channel`,
      [companyId],
    );

  async function counter(name: string, labels: Record<string, string>): Promise<number> {
    const metric = registry.getSingleMetric(name);
    if (!metric) return 0;
    const { values } = await metric.get();
    return values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((sum, v) => sum + v.value, 0);
  }

  it('balance.low texts the alert contact and posts to Slack exactly once; a redelivered event adds nothing', async () => {
    const companyId = company();
    const admin = phone();
    await setup(db, companyId, [{ name: 'Anna Berg', phone: admin, email: 'anna@example.com' }]);
    const id = await balanceLow(companyId, 850);

    await waitFor(() => smsTo(admin).length === 1 && slackAbout(companyId).length === 1 && smtp.state.to('anna@example.com').length === 1, {
      message: 'alert SMS, e-mail and Slack post',
    });
    const [mail] = smtp.state.to('anna@example.com');
    expect(mail).toMatchObject({ authUser: 'alerts', from: ['alerts@receptionist.test'], to: ['anna@example.com'], headers: expect.objectContaining({ 'auto-submitted': 'auto-generated' }) });
    expect(mail.text?.trim()).toBe('Ihr Guthaben beträgt nur noch 8,50 € (Warnschwelle 10,00 €). Bitte laden Sie auf, damit Anrufe weiter angenommen werden.');
    const [sms] = smsTo(admin);
    expect(sms.from).toBe(TEST_FROM);
    expect(sms.body).toBe('Ihr Guthaben beträgt nur noch 8,50 € (Warnschwelle 10,00 €). Bitte laden Sie auf, damit Anrufe weiter angenommen werden.');
    expect(slackAbout(companyId)[0]).toMatchObject({ webhook, payload: { text: `:warning: balance.low: Salon Sonne (${companyId}) has €8.50 left (threshold €10.00).` } });

    // The same envelope again (Kafka redelivers), then a later crossing under a new id on the same partition (keyed
    // by company), which is handled after the redelivery: only the new crossing alerts.
    await balanceLow(companyId, 850, id);
    await balanceLow(companyId, 700);
    await waitFor(() => smsTo(admin).length === 2 && slackAbout(companyId).length === 2 && smtp.state.to('anna@example.com').length === 2, {
      message: 'second crossing alerted',
    });
    expect(smsTo(admin)[1].body).toContain('7,00 €');
    expect(slackAbout(companyId)[1].text).toContain('€7.00');

    const rows = await deliveries(db, companyId);
    expect(rows.filter((r: { dedupeKey: string }) => r.dedupeKey === `balance.low:${id}`)).toEqual([
      { kind: 'balance_low', dedupeKey: `balance.low:${id}`, channel: 'email', recipient: 'anna@example.com', status: 'sent', error: null },
      { kind: 'balance_low', dedupeKey: `balance.low:${id}`, channel: 'push', recipient: expect.stringContaining(companyId), status: 'skipped', error: 'FIREBASE_CREDENTIALS not set' },
      { kind: 'balance_low', dedupeKey: `balance.low:${id}`, channel: 'slack', recipient: '', status: 'sent', error: null },
      { kind: 'balance_low', dedupeKey: `balance.low:${id}`, channel: 'sms', recipient: admin, status: 'sent', error: null },
    ]);
    expect(smsTo(admin)).toHaveLength(2);
    expect(slackAbout(companyId)).toHaveLength(2);
    expect(smtp.state.to('anna@example.com')).toHaveLength(2);
  });

  it('a run of permanent delivery failures alerts the admins once, not once per failure', async () => {
    const companyId = company();
    const admin = phone();
    await setup(db, companyId, [{ name: null, phone: admin, email: null }], 'en');
    const startsAt = new Date(Date.now() + 3 * 24 * 3600_000);
    // Twilio's magic invalid number: every confirmation fails with 21211, permanently.
    for (let i = 0; i < 5; i++) {
      const appointmentId = `${companyId}-a${i}`;
      await publisher.publish(Topics.bookingCreated.name, appointmentId, companyId, {
        appointmentId,
        calcomBookingUid: null,
        serviceId: 'svc-1',
        serviceName: 'Haircut',
        staffId: null,
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 30 * 60_000).toISOString(),
        timeZone: 'Europe/Berlin',
        customer: { customerId: `cust-${i}`, name: 'Max', phone: '+15005550001', email: null, language: 'en' },
        callId: null,
      });
    }
    await waitFor(async () => (await db.query('SELECT failures FROM notification_failure_streak WHERE company_id = ?', [companyId]))[0]?.failures === 5, {
      message: 'five failures counted',
    });
    await waitFor(() => smsTo(admin).length === 1 && slackAbout(companyId).length === 1, { message: 'failure alert' });
    expect(smsTo(admin)[0].body).toMatch(/^\d+ messages to your customers failed in a row \(last: 21211 .+\)\. Please check your sender and settings\.$/);
    expect(slackAbout(companyId)[0].text).toContain('permanent delivery failures in a row');
    const alerts = await db.query('SELECT kind FROM notification_alert WHERE company_id = ?', [companyId]);
    expect(alerts).toEqual([{ kind: 'delivery_failures' }]);
    // Deliveries were sent before the last failures were counted; nothing more follows them.
    await new Promise((r) => setTimeout(r, 500));
    expect(smsTo(admin)).toHaveLength(1);
    expect(slackAbout(companyId)).toHaveLength(1);
  });

  it('a message notification dead-letters alerts the company and the operators', async () => {
    await service.app.get(DeadLetterWatcher).waitUntilReady();
    const companyId = company();
    const admin = phone();
    await setup(db, companyId, [{ name: 'Anna', phone: admin, email: null }]);
    const startsAt = new Date(Date.now() + 3 * 24 * 3600_000);
    const appointmentId = `${companyId}-dead`;
    const id = await publisher.publish(Topics.bookingCreated.name, appointmentId, companyId, {
      appointmentId,
      calcomBookingUid: null,
      serviceId: 'svc-1',
      serviceName: 'Haircut',
      staffId: null,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 30 * 60_000).toISOString(),
      timeZone: 'Europe/Berlin',
      customer: { customerId: 'cust-x', name: 'Max', phone: null, email: null, language: 'de' },
      callId: null,
    });
    await waitFor(() => smsTo(admin).length === 1 && slackAbout(companyId).length === 1, { message: 'dead-letter alert' });
    expect(smsTo(admin)[0].body).toMatch(/^Eine Kundenbenachrichtigung konnte nicht erstellt werden \(.*customer\.phone: missing.*\)\./);
    expect(slackAbout(companyId)[0].text).toContain(`notification dead-lettered a booking.created message (${id})`);
    const [alert] = await db.query('SELECT kind, dedupe_key AS dedupeKey FROM notification_alert WHERE company_id = ?', [companyId]);
    expect(alert).toEqual({ kind: 'dead_letter', dedupeKey: expect.stringMatching(/^dead-letter:booking\.created:\d+:\d+$/) });
  });

  it('without SLACK_WEBHOOK_URL the Slack delivery is skipped and counted; the SMS still goes', async () => {
    const companyId = company(quietPrefix);
    const admin = phone();
    await setup(dbWithoutSlack, companyId, [{ name: 'Ben', phone: admin, email: null }]);
    const skippedBefore = await counter('notification_alert_deliveries_total', { channel: 'slack', outcome: 'not_configured' });
    await balanceLow(companyId, 10);

    await waitFor(() => smsTo(admin).length === 1, { message: 'alert SMS' });
    await waitFor(async () => (await counter('notification_alert_deliveries_total', { channel: 'slack', outcome: 'not_configured' })) === skippedBefore + 1, {
      message: 'skipped Slack delivery counted',
    });
    const rows = await deliveries(dbWithoutSlack, companyId);
    expect(rows.find((r: { channel: string }) => r.channel === 'slack')).toMatchObject({ status: 'skipped', error: 'SLACK_WEBHOOK_URL not set' });
    expect(slackAbout(companyId)).toHaveLength(0);
  });
});
