import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { RunningSimulator, startSimulator, twilioSignature, twilioSimulator, TwilioState } from '@receptionist/simulators';
import { testInfra, uniqueName, waitFor } from '@receptionist/testing';
// The whole path over HTTP and Kafka: Twilio simulator → gateway (signature) → Kafka → notification. Tests only;
// apps never import each other.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { freePort, startGateway, TestGateway } from '../../gateway/test/gateway-app';
import { startNotification, TestNotification, TestPublisher, TEST_FROM, TEST_TWILIO_SID, TEST_TWILIO_TOKEN } from './notification-app';

jest.setTimeout(60_000);

describe('Twilio round trip: simulator → gateway → notification', () => {
  const companyId = uniqueName('nte');
  /** A second company writing to the same customers from its own number (a marker in the replay test). */
  const marker = uniqueName('nte-m');
  let sim: RunningSimulator<TwilioState>;
  let gateway: TestGateway;
  let service: TestNotification;
  let publisher: TestPublisher;
  let db: DataSource;

  beforeAll(async () => {
    sim = await startSimulator(twilioSimulator, { port: 0 });
    // The gateway's public URL is configured (never taken from the Host header): here the address it listens on.
    const port = await freePort();
    gateway = await startGateway({ TWILIO_AUTH_TOKEN: TEST_TWILIO_TOKEN, APP_URL: `http://127.0.0.1:${port}` }, { port });
    service = await startNotification({ TWILIO_API_BASE: sim.url, APP_URL: gateway.url }, { companies: [companyId, marker] });
    publisher = await new TestPublisher().start();
    db = new DataSource({ type: 'mysql', ...testInfra.db, database: service.database, timezone: 'Z' });
    await db.initialize();
    await setup(companyId, null);
  });

  async function setup(company: string, senderId: string | null) {
    const revision = uniqueName('rev');
    await publisher.publish(Topics.notificationSetup.name, company, company, {
      companyId: company,
      revision,
      companyName: 'Salon Sonne',
      timeZone: 'Europe/Berlin',
      language: 'de',
      settings: { channels: ['sms'], confirmation: true, remindersMinutesBefore: [1440], senderId, quietHours: null },
    });
    await waitFor(async () => (await db.query('SELECT 1 FROM company_notification_settings WHERE revision = ?', [revision])).length > 0, { message: 'settings' });
  }

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

  it('a replayed signed START after a newer STOP changes nothing: the number stays opted out', async () => {
    const to = '+4917655556666';
    const other = '+4930555000222';
    // A second company writing to the same customer from its own number: its opt-out is the marker below.
    await setup(marker, other);
    const first = booking(to, new Date(Date.now() + 3 * 24 * 3600_000));
    await publisher.publish(Topics.bookingCreated.name, first.appointmentId, companyId, first);
    await waitFor(async () => (await status(first.appointmentId)) === 'delivered', { message: 'delivered via the gateway' });
    const markerBooking = { ...booking(to, new Date(Date.now() + 3 * 24 * 3600_000)), appointmentId: `${marker}-a` };
    await publisher.publish(Topics.bookingCreated.name, markerBooking.appointmentId, marker, markerBooking);
    await waitFor(async () => (await status(markerBooking.appointmentId)) === 'delivered', { message: 'marker company wrote to the customer' });

    const text = (body: string, sender = TEST_FROM) =>
      fetch(`${sim.url}/__sim/twilio/inbound`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ from: to, to: sender, body, url: `${gateway.url}/api/webhooks/twilio/inbound` }),
      }).then(async (r) => (await r.json()) as { messageSid: string; status: number });
    const optedOut = async (company: string) => (await db.query('SELECT 1 FROM notification_opt_out WHERE company_id = ? AND phone = ?', [company, to])).length === 1;

    // START (captured on the way), then STOP: opted out.
    const start = await text('START');
    expect(start.status).toBe(200);
    const captured = sim.state.callbacks.find((c) => c.params.MessageSid === start.messageSid)!;
    expect((await text('STOP')).status).toBe(200);
    await waitFor(() => optedOut(companyId), { message: 'opted out' });

    // The captured START, signed by Twilio, sent again: acknowledged, and nothing changes.
    const replay = await fetch(captured.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': captured.signature },
      body: new URLSearchParams(captured.params).toString(),
    });
    expect(replay.status).toBe(200);
    // The marker: a STOP from the same number (same partition, after the replay) to the other company's number.
    expect((await text('STOP', other)).status).toBe(200);
    await waitFor(() => optedOut(marker), { message: 'marker opt-out applied' });
    expect(await optedOut(companyId)).toBe(true);
  });

  it('an opt-in keyword is applied once per MessageSid, also when it arrives again as a new message (gateway record pruned)', async () => {
    const to = '+4917677778888';
    const other = '+4930555000222';
    await setup(marker, other);
    const a = booking(to, new Date(Date.now() + 3 * 24 * 3600_000));
    await publisher.publish(Topics.bookingCreated.name, a.appointmentId, companyId, a);
    const m = { ...booking(to, new Date(Date.now() + 3 * 24 * 3600_000)), appointmentId: `${marker}-b` };
    await publisher.publish(Topics.bookingCreated.name, m.appointmentId, marker, m);
    await waitFor(async () => (await status(a.appointmentId)) === 'delivered' && (await status(m.appointmentId)) === 'delivered', { message: 'both companies wrote' });

    const inbound = (messageSid: string, body: string, sender = TEST_FROM) => ({
      accountSid: TEST_TWILIO_SID,
      messageSid,
      from: to,
      to: sender,
      body,
      params: {},
      receivedAt: new Date().toISOString(),
    });
    const optedOut = async (company: string) => (await db.query('SELECT 1 FROM notification_opt_out WHERE company_id = ? AND phone = ?', [company, to])).length === 1;
    const answers = async () => (await db.query("SELECT kind FROM notification_message WHERE company_id = ? AND to_number = ? AND kind IN ('opt_in', 'opt_out')", [companyId, to])).length;
    const startSid = `SM${'a'.repeat(24)}${Date.now().toString(16).padStart(8, '0').slice(-8)}`;
    // ANMELDEN (German, answered by us), then STOPP: opted out, two answers.
    await publisher.publish(Topics.twilioMessageInbound.name, to, null, inbound(startSid, 'Anmelden'));
    await waitFor(async () => (await answers()) === 1, { message: 'opt-in answered' });
    await publisher.publish(Topics.twilioMessageInbound.name, to, null, inbound(`SM${randomUUID().replace(/-/g, '')}`, 'Stopp'));
    await waitFor(() => optedOut(companyId), { message: 'opted out' });

    // The same ANMELDEN (same MessageSid) as a new message, then a marker on the same partition.
    await publisher.publish(Topics.twilioMessageInbound.name, to, null, inbound(startSid, 'Anmelden'));
    await publisher.publish(Topics.twilioMessageInbound.name, to, null, inbound(`SM${randomUUID().replace(/-/g, '')}`, 'Stopp', other));
    await waitFor(() => optedOut(marker), { message: 'marker applied' });
    expect(await optedOut(companyId)).toBe(true);
  });
});
