import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { RunningSimulator, startSimulator, twilioSignature, twilioSimulator, TwilioState } from '@receptionist/simulators';
import { testInfra, uniqueName, waitFor } from '@receptionist/testing';
// The whole path over HTTP and Kafka: Twilio simulator → gateway (signature) → Kafka → notification. Tests only;
// apps never import each other.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startGateway, TestGateway } from '../../gateway/test/gateway-app';
import { startNotification, TestNotification, TestPublisher, TEST_FROM, TEST_TWILIO_TOKEN } from './notification-app';

jest.setTimeout(60_000);

describe('Twilio round trip: simulator → gateway → notification', () => {
  const companyId = uniqueName('nte');
  let sim: RunningSimulator<TwilioState>;
  let gateway: TestGateway;
  let service: TestNotification;
  let publisher: TestPublisher;
  let db: DataSource;

  beforeAll(async () => {
    sim = await startSimulator(twilioSimulator, { port: 0 });
    gateway = await startGateway({ TWILIO_AUTH_TOKEN: TEST_TWILIO_TOKEN });
    service = await startNotification({ TWILIO_API_BASE: sim.url, APP_URL: gateway.url }, { companies: [companyId] });
    publisher = await new TestPublisher().start();
    db = new DataSource({ type: 'mysql', ...testInfra.db, database: service.database, timezone: 'Z' });
    await db.initialize();
    const revision = uniqueName('rev');
    await publisher.publish(Topics.notificationSetup.name, companyId, companyId, {
      companyId,
      revision,
      companyName: 'Salon Sonne',
      timeZone: 'Europe/Berlin',
      language: 'de',
      settings: { channels: ['sms'], confirmation: true, remindersMinutesBefore: [1440], senderId: null, quietHours: null },
    });
    await waitFor(async () => (await db.query('SELECT 1 FROM company_notification_settings WHERE revision = ?', [revision])).length > 0, { message: 'settings' });
  });

  afterAll(async () => {
    await publisher?.stop();
    await db?.destroy();
    await service?.close();
    await gateway?.close();
    await sim?.close();
  });

  const booking = (to: string, startsAt: Date) => ({
    appointmentId: `${companyId}-${randomUUID().slice(0, 8)}`,
    calcomBookingUid: null,
    serviceId: 'svc',
    serviceName: 'Herrenschnitt',
    staffId: null,
    startsAt: startsAt.toISOString(),
    endsAt: new Date(startsAt.getTime() + 30 * 60_000).toISOString(),
    timeZone: 'Europe/Berlin',
    customer: { customerId: 'c1', name: 'Max Muster', phone: to, email: null, language: 'de' },
    callId: null,
  });
  const status = async (appointmentId: string) =>
    (await db.query("SELECT status FROM notification_message WHERE appointment_id = ? AND kind = 'confirmation'", [appointmentId]))[0]?.status;

  it('signed status callbacks reach the message (delivered); a signed STOP stops the next message; a forged STOP changes nothing', async () => {
    const to = '+4917611112222';
    const first = booking(to, new Date(Date.now() + 3 * 24 * 3600_000));
    await publisher.publish(Topics.bookingCreated.name, first.appointmentId, companyId, first);
    await waitFor(async () => (await status(first.appointmentId)) === 'delivered', { message: 'delivered via the gateway' });
    expect(sim.state.callbacks.filter((c) => c.params.To === to).map((c) => c.responseStatus)).toEqual([204, 204]);

    // A forged STOP (not signed with the account's token) for another customer: 403, no opt-out.
    const other = '+4917633334444';
    const params = { AccountSid: 'AC' + '0'.repeat(32), MessageSid: 'SM' + '1'.repeat(32), From: other, To: TEST_FROM, Body: 'STOP' };
    const forged = await fetch(`${gateway.url}/api/webhooks/twilio/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature('not-the-token', `${gateway.url}/api/webhooks/twilio/inbound`, params) },
      body: new URLSearchParams(params).toString(),
    });
    expect(forged.status).toBe(403);

    // The real customer texts STOP to our number; the simulator signs and delivers it like Twilio.
    const inbound = await fetch(`${sim.url}/__sim/twilio/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: to, to: TEST_FROM, body: 'STOP', url: `${gateway.url}/api/webhooks/twilio/inbound` }),
    });
    expect(((await inbound.json()) as { status: number }).status).toBe(200);
    await waitFor(async () => (await db.query('SELECT 1 FROM notification_opt_out WHERE company_id = ? AND phone = ?', [companyId, to])).length === 1, {
      message: 'opted out',
    });

    const posts = () => sim.requests().filter((r) => r.path.endsWith('/Messages.json') && (r.body as Record<string, string>).To === to).length;
    const before = posts();
    const second = booking(to, new Date(Date.now() + 4 * 24 * 3600_000));
    await publisher.publish(Topics.bookingCreated.name, second.appointmentId, companyId, second);
    await waitFor(async () => (await status(second.appointmentId)) === 'skipped', { message: 'second confirmation skipped' });
    // Not even attempted at Twilio (which would answer 21610 for this pair now).
    expect(posts()).toBe(before);
    expect(await db.query('SELECT 1 FROM notification_opt_out WHERE phone = ?', [other])).toHaveLength(0);
  });
});
