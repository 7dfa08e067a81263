import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { Topics, createEnvelope } from '@receptionist/contracts';
import { MessageProducer } from '@receptionist/messaging';
import { testInfra, testKafka, waitFor } from '@receptionist/testing';
import { createTestTenant, startGateway, TestGateway } from './gateway-app';
// Sync owns subscriptions and deliveries: the real one answers sync.request, consumes the events and sends.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { createSyncDatabase, startSync, TestSync } from '../../sync/test/sync-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { verifyCallback } from '../../sync/src/callbacks/callback-signature';

/**
 * Callback webhooks end to end: a company subscribes its own URL through the gateway's admin API; the platform's
 * events (on real Kafka) reach that URL, signed, once each, retried when the receiver fails, across a restart of
 * sync, and never another company's.
 */
jest.setTimeout(120_000);

const ADMIN = { email: 'root@callbacks.test', password: 'correct horse battery staple' };

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A tenant's receiver: records every request and answers from a script of status codes (then the default). */
class Receiver {
  readonly requests: Received[] = [];
  script: number[] = [];
  status = 200;
  private server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      this.requests.push({ headers: req.headers, body });
      res.statusCode = this.script.shift() ?? this.status;
      res.end('ok');
    });
  });
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/receptionist`;
    return this;
  }
  close() {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(r));
  }
  of(eventId: string) {
    return this.requests.filter((r) => r.headers['webhook-id'] === eventId);
  }
}

let gw: TestGateway;
let sync: TestSync;
let syncDb: { database: string; drop: () => Promise<void> };
let syncService: string;
let db: DataSource;
let producer: MessageProducer;
let receiver: Receiver;
const tenants: Record<'A' | 'B', { companyId: string; admin: string; staff: string }> = {} as never;
const SYNC_ENV = { CALLBACK_ALLOW_PRIVATE_URLS: 'true', CALLBACK_RETRY_BASE_MS: '200', CALLBACK_MAX_ATTEMPTS: '4', CALLBACK_POLL_MS: '100' };

const call = (method: string, path: string, token: string, body?: unknown) => gw.call(method, path, { token, body });
const base = (key: 'A' | 'B') => `/api/v1/companies/${tenants[key].companyId}/callback-subscriptions`;

function appointment(companyId: string) {
  const start = new Date(Date.now() + 86_400_000);
  return {
    appointmentId: randomUUID(),
    calcomBookingUid: `uid_${randomBytes(4).toString('hex')}`,
    serviceId: 'svc-1',
    serviceName: 'Herrenhaarschnitt',
    staffId: null,
    startsAt: start.toISOString(),
    endsAt: new Date(start.getTime() + 30 * 60_000).toISOString(),
    timeZone: 'Europe/Berlin',
    customer: { customerId: `cus_${companyId.slice(0, 6)}`, name: 'Max Muster', phone: '+4917612345678', email: null, language: 'de' },
    callId: null,
  };
}

/** Publishes a booking event as booking would; `id` again = a Kafka redelivery of the same envelope. */
async function publishBooking(companyId: string, type: string = Topics.bookingCreated.name, id?: string) {
  const booked = appointment(companyId);
  const data =
    type === Topics.bookingCancelled.name
      ? { ...booked, reason: 'Caller cancelled', cancelledBy: 'customer' }
      : type === Topics.bookingRescheduled.name
        ? { ...booked, previousStartsAt: booked.startsAt, previousEndsAt: booked.endsAt }
        : booked;
  const envelope = createEnvelope({ type, source: 'booking', companyId, subject: data.appointmentId, data, ...(id ? { id } : {}) });
  await producer.publish({ topic: type, key: data.appointmentId, envelope });
  return envelope;
}

const deliveriesOf = async (key: 'A' | 'B', subscriptionId: string, query = '') =>
  (await call('GET', `${base(key)}/${subscriptionId}/deliveries${query}`, tenants[key].admin)).body.data as Record<string, any>[];

beforeAll(async () => {
  gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, RATE_LIMIT_GENERAL: '10000', RATE_LIMIT_SENSITIVE: '1000' });
  const platform = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
  for (const key of ['A', 'B'] as const) tenants[key] = await createTestTenant(gw, platform, `Callbacks ${key}`);
  syncDb = await createSyncDatabase();
  syncService = `sync-test-${randomBytes(3).toString('hex')}`;
  sync = await startSync(SYNC_ENV, { database: syncDb.database, service: syncService });
  db = new DataSource({ type: 'mysql', ...testInfra.db, database: syncDb.database, timezone: 'Z' });
  await db.initialize();
  producer = new MessageProducer(testKafka());
  await producer.connect();
  receiver = await new Receiver().start();
});

afterAll(async () => {
  await receiver?.close();
  await producer?.disconnect();
  await db?.destroy();
  await sync?.close();
  await syncDb?.drop();
  await gw?.close();
});

describe('callback webhook subscriptions', () => {
  let subscriptionId: string;
  let secret: string;

  it('refuses bad subscriptions naming the field, and other roles and companies, creating nothing', async () => {
    for (const [body, field] of [
      [{ url: 'not a url', events: ['booking.created'] }, 'url'],
      [{ url: 'ftp://example.com/hook', events: ['booking.created'] }, 'url'],
      [{ url: 'http://user:pw@127.0.0.1/hook', events: ['booking.created'] }, 'url'],
      [{ url: receiver.url, events: [] }, 'events'],
      [{ url: receiver.url, events: ['booking.exploded'] }, 'events.0'],
      [{ url: receiver.url }, 'events'],
      [{ url: receiver.url, events: ['booking.created'], secret: 'mine' }, 'secret'],
    ] as const) {
      const res = await call('POST', base('A'), tenants.A.admin, body);
      expect([JSON.stringify(body), res.status, res.body.field]).toEqual([JSON.stringify(body), 400, field]);
    }
    expect((await call('POST', base('A'), tenants.A.staff, { url: receiver.url, events: ['booking.created'] })).status).toBe(403);
    expect((await call('GET', base('A'), tenants.A.staff)).status).toBe(403);
    expect((await call('POST', base('A'), tenants.B.admin, { url: receiver.url, events: ['booking.created'] })).status).toBe(404);
    expect((await call('GET', base('A'), tenants.A.admin)).body.data).toEqual([]);
    expect((await db.query('SELECT COUNT(*) AS n FROM callback_subscription'))[0].n).toBe('0');
  });

  it("delivers a subscribed event once, signed with the subscription's secret, and nothing of other events or companies", async () => {
    const created = await call('POST', base('A'), tenants.A.admin, { url: receiver.url, events: ['booking.created', 'booking.cancelled'], description: 'CRM' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: receiver.url, events: ['booking.created', 'booking.cancelled'], description: 'CRM', status: 'active' });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
    subscriptionId = created.body.subscriptionId;
    secret = created.body.secret;
    // Shown once: neither the list nor the database shows it.
    const listing = await call('GET', base('A'), tenants.A.admin);
    expect(listing.status).toBe(200);
    const listed = listing.body.data;
    expect(listed).toEqual([expect.objectContaining({ subscriptionId, url: receiver.url })]);
    expect(JSON.stringify(listed)).not.toContain(secret);
    const [stored] = await db.query('SELECT secret_ciphertext FROM callback_subscription WHERE id = ?', [subscriptionId]);
    expect(stored.secret_ciphertext).not.toContain(secret.slice(6));
    expect((await call('GET', base('B'), tenants.B.admin)).body.data).toEqual([]);
    expect((await call('GET', `${base('B')}/${subscriptionId}/deliveries`, tenants.B.admin)).status).toBe(404);

    const event = await publishBooking(tenants.A.companyId);
    await publishBooking(tenants.A.companyId, Topics.bookingCreated.name, event.id); // Kafka redelivers it
    const otherCompany = await publishBooking(tenants.B.companyId);
    const notSubscribed = await publishBooking(tenants.A.companyId, Topics.bookingRescheduled.name);
    const marker = await publishBooking(tenants.A.companyId, Topics.bookingCancelled.name);
    await waitFor(() => receiver.of(marker.id).length === 1 && receiver.of(event.id).length === 1, { message: 'both deliveries' });
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.of(event.id)).toHaveLength(1);
    expect(receiver.of(otherCompany.id)).toHaveLength(0);
    expect(receiver.of(notSubscribed.id)).toHaveLength(0);

    const [request] = receiver.of(event.id);
    expect(request.headers).toMatchObject({ 'content-type': 'application/json', 'x-webhook-event': 'booking.created', 'x-webhook-attempt': '1' });
    expect(request.headers['user-agent']).toMatch(/^AI-Receptionist-Webhooks\//);
    const signed = { id: String(request.headers['webhook-id']), timestamp: String(request.headers['webhook-timestamp']), signature: String(request.headers['webhook-signature']) };
    expect(verifyCallback(secret, signed, request.body)).toBe(true);
    expect(verifyCallback(secret, signed, request.body.replace('Max Muster', 'Mad Muster'))).toBe(false);
    expect(verifyCallback(`whsec_${randomBytes(24).toString('base64')}`, signed, request.body)).toBe(false);
    expect(JSON.parse(request.body)).toEqual({ id: event.id, type: 'booking.created', timestamp: event.time, companyId: tenants.A.companyId, data: event.data });

    const deliveries = await deliveriesOf('A', subscriptionId);
    expect(deliveries.map((d) => [d.eventType, d.status, d.attempts, d.lastStatusCode])).toEqual([
      ['booking.cancelled', 'delivered', 1, 200],
      ['booking.created', 'delivered', 1, 200],
    ]);
  });

  it('retries a failing receiver with growing delays until it answers, and gives up after the last attempt', async () => {
    receiver.script = [500, 503];
    const event = await publishBooking(tenants.A.companyId);
    await waitFor(async () => (await deliveriesOf('A', subscriptionId)).find((d) => d.eventId === event.id)?.status === 'delivered', { message: 'delivered on the third attempt' });
    const attempts = receiver.of(event.id);
    expect(attempts.map((r) => r.headers['x-webhook-attempt'])).toEqual(['1', '2', '3']);
    // The same webhook id and body on every attempt, each freshly signed.
    expect(new Set(attempts.map((r) => r.body)).size).toBe(1);
    for (const r of attempts) expect(verifyCallback(secret, { id: event.id, timestamp: String(r.headers['webhook-timestamp']), signature: String(r.headers['webhook-signature']) }, r.body)).toBe(true);

    receiver.status = 500;
    const doomed = await publishBooking(tenants.A.companyId);
    await waitFor(async () => (await deliveriesOf('A', subscriptionId)).find((d) => d.eventId === doomed.id)?.status === 'failed', { message: 'failed after 4 attempts', timeoutMs: 30_000 });
    expect(receiver.of(doomed.id)).toHaveLength(4);
    const [failed] = await deliveriesOf('A', subscriptionId, '?status=failed');
    expect(failed).toMatchObject({ eventId: doomed.id, attempts: 4, lastStatusCode: 500, lastError: 'endpoint answered 500', nextAttemptAt: null });

    // Sent again on request once the receiver is fixed: same webhook id, so the receiver can tell.
    receiver.status = 200;
    const retried = await call('POST', `${base('A')}/${subscriptionId}/deliveries/${failed.deliveryId}/retry`, tenants.A.admin);
    expect(retried.status).toBe(202);
    await waitFor(async () => (await deliveriesOf('A', subscriptionId)).find((d) => d.eventId === doomed.id)?.status === 'delivered', { message: 'retried delivery' });
    expect(receiver.of(doomed.id)).toHaveLength(5);
    expect((await call('POST', `${base('B')}/${subscriptionId}/deliveries/${failed.deliveryId}/retry`, tenants.B.admin)).status).toBe(404);
  });

  it('keeps an accepted delivery across a restart of sync and delivers it afterwards', async () => {
    receiver.status = 503;
    const event = await publishBooking(tenants.A.companyId);
    await waitFor(() => receiver.of(event.id).length >= 1, { message: 'first attempt' });
    await sync.close();
    receiver.status = 200;
    sync = await startSync(SYNC_ENV, { database: syncDb.database, service: syncService, restart: true });
    await waitFor(async () => (await db.query(`SELECT status FROM callback_delivery WHERE event_id = ?`, [event.id]))[0]?.status === 'delivered', { message: 'delivered after the restart' });
    expect(receiver.of(event.id).length).toBeGreaterThanOrEqual(2);
    // Events published while sync was down are not lost either: its consumer group resumes where it stopped.
    await sync.close();
    const whileDown = await publishBooking(tenants.A.companyId);
    sync = await startSync(SYNC_ENV, { database: syncDb.database, service: syncService, restart: true });
    await waitFor(() => receiver.of(whileDown.id).length === 1, { message: 'event from while sync was down', timeoutMs: 60_000 });
  });

  it('rotates the secret (the old one signs beside it for a while, or not at all) and sends a test delivery on request', async () => {
    const testDelivery = async () => {
      const test = await call('POST', `${base('A')}/${subscriptionId}/test`, tenants.A.admin);
      expect(test.status).toBe(202);
      await waitFor(() => receiver.of(test.body.eventId).length === 1, { message: 'test delivery' });
      const [r] = receiver.of(test.body.eventId);
      expect(JSON.parse(r.body)).toMatchObject({ type: 'callback.test', companyId: tenants.A.companyId, data: { subscriptionId } });
      return (s: string) => verifyCallback(s, { id: test.body.eventId, timestamp: String(r.headers['webhook-timestamp']), signature: String(r.headers['webhook-signature']) }, r.body);
    };
    expect((await call('POST', `${base('A')}/${subscriptionId}/rotate-secret`, tenants.A.admin, { oldSecretValidHours: 500 })).body.field).toBe('oldSecretValidHours');

    // By default the old secret keeps signing beside the new one for 24 h: a receiver still on the old one accepts.
    const rolling = await call('POST', `${base('A')}/${subscriptionId}/rotate-secret`, tenants.A.admin);
    expect(rolling.status).toBe(200);
    expect(rolling.body.secret).toMatch(/^whsec_/);
    expect(rolling.body.secret).not.toBe(secret);
    expect(Date.parse(rolling.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    const duringRollover = await testDelivery();
    expect([duringRollover(rolling.body.secret), duringRollover(secret)]).toEqual([true, true]);

    // Rotated again at once (a leaked secret): only the newest signs.
    const rotated = await call('POST', `${base('A')}/${subscriptionId}/rotate-secret`, tenants.A.admin, { oldSecretValidHours: 0 });
    expect(rotated.status).toBe(200);
    expect(rotated.body.previousSecretExpiresAt).toBeNull();
    const afterwards = await testDelivery();
    expect([afterwards(rotated.body.secret), afterwards(rolling.body.secret), afterwards(secret)]).toEqual([true, false, false]);
    // Audited, without the secret.
    const audit = await gw.call('GET', `/api/v1/companies/${tenants.A.companyId}/audit-log?limit=50`, { token: tenants.A.admin });
    expect(audit.status).toBe(200);
    const actions = audit.body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['callback_subscription.created', 'callback_subscription.secret_rotated']));
    expect(JSON.stringify(audit.body)).not.toContain(rotated.body.secret.slice(6));
    expect(JSON.stringify(audit.body)).not.toContain(rolling.body.secret.slice(6));
    expect(JSON.stringify(audit.body)).not.toContain(secret.slice(6));
  });

  it('disables a subscription whose endpoint answers 410 Gone, and a deleted one gets nothing more', async () => {
    receiver.script = [410];
    const gone = await publishBooking(tenants.A.companyId);
    await waitFor(async () => (await call('GET', base('A'), tenants.A.admin)).body.data[0]?.status === 'disabled', { message: 'disabled' });
    expect((await call('GET', base('A'), tenants.A.admin)).body.data[0]).toMatchObject({ subscriptionId, status: 'disabled', disabledReason: 'the endpoint answered 410 Gone' });
    const after = await publishBooking(tenants.A.companyId);
    expect(receiver.of(gone.id)).toHaveLength(1);

    const second = await call('POST', base('A'), tenants.A.admin, { url: receiver.url, events: ['booking.created'] });
    expect(second.status).toBe(201);
    expect((await call('DELETE', `${base('B')}/${second.body.subscriptionId}`, tenants.B.admin)).status).toBe(404);
    expect((await call('DELETE', `${base('A')}/${second.body.subscriptionId}`, tenants.A.admin)).status).toBe(204);
    expect((await call('DELETE', `${base('A')}/${second.body.subscriptionId}`, tenants.A.admin)).status).toBe(404);
    const deleted = await publishBooking(tenants.A.companyId);
    const marker = await publishBooking(tenants.B.companyId);
    // B has no subscription either; wait until sync has surely consumed both, then nothing arrived.
    await new Promise((r) => setTimeout(r, 1500));
    expect(receiver.of(after.id)).toHaveLength(0);
    expect(receiver.of(deleted.id)).toHaveLength(0);
    expect(receiver.of(marker.id)).toHaveLength(0);
    expect((await call('GET', base('A'), tenants.A.admin)).body.data.map((s: { subscriptionId: string }) => s.subscriptionId)).toEqual([subscriptionId]);
  });
});
