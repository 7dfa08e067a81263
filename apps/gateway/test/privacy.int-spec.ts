import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MessageProducer } from '@receptionist/messaging';
import {
  calcomSimulator,
  CalcomState,
  generateWav,
  retellSimulator,
  RunningSimulator,
  S3_SIM_ACCESS_KEY_ID,
  S3_SIM_REGION,
  S3_SIM_SECRET_ACCESS_KEY,
  s3Simulator,
  S3State,
  startSimulator,
} from '@receptionist/simulators';
import { testInfra, uniqueName, waitFor } from '@receptionist/testing';
import { createTestTenant, startGateway, TestGateway, TestTenant } from './gateway-app';
// Every service that holds a caller's data takes part: the real ones over Kafka, outside APIs simulated.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBooking, TestBooking } from '../../booking/test/booking-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { berlinAt, sendSetup, setupDoc, startProducer, wednesdayAhead } from '../../booking/test/fixtures';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startVoiceAgent, TestVoiceAgent } from '../../voice-agent/test/voice-agent-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startNotification, TestNotification } from '../../notification/test/notification-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBilling, TestBilling } from '../../billing/test/billing-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startSync, TestSync } from '../../sync/test/sync-app';

jest.setTimeout(180_000);

const ADMIN = { email: 'root@privacy.test', password: 'correct horse battery staple' };
const RETELL_KEY = 'key_privacy_test';
const BUCKET = 'privacy-audio';
const ERIKA = '+4915112340001';
const MAX = '+4915112340002';

/**
 * A caller's data across the services (issue 16): export gathers it from every service and the recording store;
 * erasure anonymises it in every service's database and removes the recordings, keeps the accounting, is audited,
 * shows "completed" only when every service has answered, and can be asked again; the retention job removes old
 * recordings and transcripts of a company and nothing newer or of another company.
 */
describe('customer data: export, erasure, retention', () => {
  let calcom: RunningSimulator<CalcomState>;
  let retell: RunningSimulator<any>;
  let s3: RunningSimulator<S3State>;
  let gw: TestGateway;
  let booking: TestBooking;
  let voice: TestVoiceAgent;
  let notification: TestNotification;
  let billing: TestBilling;
  let sync: TestSync;
  let producer: MessageProducer;
  let platform: string;
  let A: TestTenant;
  let B: TestTenant;
  const dbs: Record<string, DataSource> = {};
  const ids: Record<string, string> = {};
  const agentId = uniqueName('agent_privacy');
  const line = `+4930${Math.floor(1e7 + Math.random() * 8e7)}`;
  const call = (method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>) => gw.call(method, path, { token, body, headers });
  const base = (t: TestTenant) => `/api/v1/companies/${t.companyId}`;
  const objects = () => [...s3.state.buckets.get(BUCKET)!.objects.keys()];
  const open = async (database: string) => {
    const ds = new DataSource({ type: 'mysql', ...testInfra.db, database, timezone: 'Z' });
    await ds.initialize();
    return ds;
  };

  async function placeCall(from: string, recordingSeconds = 2): Promise<string> {
    const res = await fetch(`${retell.url}/__sim/retell/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agentId, fromNumber: from, toNumber: line, baseUrl: gw.url, apiKey: RETELL_KEY, durationMs: 30_000, steps: [], recordingSeconds }),
    });
    expect(res.status).toBe(200);
    const callId = ((await res.json()) as { call: { call_id: string } }).call.call_id;
    await waitFor(async () => (await dbs.voice.query(`SELECT status FROM call_recording WHERE call_id = ?`, [callId]))[0]?.status === 'stored', { timeoutMs: 30_000, message: `recording of ${callId} stored` });
    return callId;
  }

  beforeAll(async () => {
    calcom = await startSimulator(calcomSimulator, { port: 0 });
    retell = await startSimulator(retellSimulator, { port: 0 });
    s3 = await startSimulator(s3Simulator, { port: 0 });
    s3.state.buckets.set(BUCKET, { createdAt: new Date(), objects: new Map() });
    gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, RETELLAI_API_KEY: RETELL_KEY, RATE_LIMIT_BOOKING: '1000', RATE_LIMIT_GENERAL: '10000' });
    platform = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
    A = await createTestTenant(gw, platform, 'Privacy A');
    B = await createTestTenant(gw, platform, 'Privacy B');
    const companies = [A.companyId, B.companyId];
    expect((await call('POST', `${base(A)}/agents`, platform, { agentId })).status).toBe(201);
    expect((await call('POST', `${base(A)}/phone-numbers`, platform, { number: line })).status).toBe(201);
    [booking, voice, notification, billing, sync] = await Promise.all([
      startBooking({ CALCOM_BASE_URL: calcom.url, CALCOM_API_KEY: 'cal_test_privacy', CALCOM_TEAM_SLUG: 'demo-praxis', CALCOM_REQUEST_TIMEOUT_MS: '2000' }, { companies }),
      startVoiceAgent(
        {
          AUDIO_STORAGE_DRIVER: 's3',
          AUDIO_S3_BUCKET: BUCKET,
          AUDIO_S3_ENDPOINT: s3.url,
          AUDIO_S3_REGION: S3_SIM_REGION,
          AUDIO_S3_ACCESS_KEY_ID: S3_SIM_ACCESS_KEY_ID,
          AUDIO_S3_SECRET_ACCESS_KEY: S3_SIM_SECRET_ACCESS_KEY,
          RECORDING_URL_HOSTS: 'http://127.0.0.1',
          RETENTION_INTERVAL_MS: '300',
        },
        { companies },
      ),
      startNotification({}, { companies }),
      startBilling({}, { companies }),
      startSync({ SYNC_SERVE_COMPANIES: companies.join(',') }),
    ]);
    for (const [name, svc] of Object.entries({ booking, voice, notification, billing, sync, gateway: gw })) dbs[name] = await open(svc.database);
    producer = await startProducer();
    for (const t of [A, B]) await sendSetup(producer, setupDoc(t.companyId));
    await waitFor(async () => Number((await dbs.booking.query('SELECT COUNT(*) AS n FROM service WHERE company_id IN (?)', [companies]))[0].n) === 4, { timeoutMs: 30_000, message: 'set-up applied' });

    const day = wednesdayAhead();
    const book = async (t: TestTenant, hhmm: string, customer: Record<string, string>) => {
      const res = await call('POST', `${base(t)}/appointments`, t.admin, { serviceId: 'beratung', start: berlinAt(day, hhmm), customer, notes: 'Allergic to latex' }, { 'idempotency-key': randomUUID() });
      expect([hhmm, res.status]).toEqual([hhmm, 201]);
      return res.body.appointment as { appointmentId: string; customer: { customerId: string } };
    };
    const erika = await book(A, '09:00', { name: 'Erika Mustermann', phone: ERIKA, email: 'erika@example.com' });
    const max = await book(A, '10:00', { name: 'Max Li', phone: MAX });
    const erikaAtB = await book(B, '11:30', { name: 'Erika bei B', phone: ERIKA });
    Object.assign(ids, { erika: erika.customer.customerId, erikaAppointment: erika.appointmentId, max: max.customer.customerId, maxAppointment: max.appointmentId, erikaAtB: erikaAtB.customer.customerId });
    ids.erikaCall = await placeCall(ERIKA);
    ids.maxCall = await placeCall(MAX);

    // What the other services hold about these callers, as their own flows leave it (messages, usage, deliveries).
    const now = new Date();
    for (const [to, appointment] of [[ERIKA, ids.erikaAppointment], [MAX, ids.maxAppointment]]) {
      await dbs.notification.query(
        `INSERT INTO notification_message (id, company_id, appointment_id, kind, dedupe_key, channel, to_number, sender, language, time_zone, body, status, due_at, created_at, updated_at)
         VALUES (?, ?, ?, 'confirmation', ?, 'sms', ?, '+4930555000111', 'de', 'Europe/Berlin', ?, 'delivered', ?, ?, ?)`,
        [randomUUID(), A.companyId, appointment, `privacy-test:${appointment}`, to, `Hallo, Ihr Termin ist bestätigt (${to})`, now, now, now],
      );
    }
    // billing charged the calls' usage itself (call.completed): the accounting references to keep.
    await waitFor(async () => Number((await dbs.billing.query('SELECT COUNT(*) AS n FROM usage_charge WHERE call_id IN (?)', [[ids.erikaCall, ids.maxCall]]))[0].n) >= 2, { timeoutMs: 30_000, message: 'usage charged' });
    for (const [appointment, name] of [[ids.erikaAppointment, 'Erika Mustermann'], [ids.maxAppointment, 'Max Li']]) {
      await dbs.sync.query(
        `INSERT INTO callback_delivery (id, subscription_id, company_id, event_id, event_type, payload, status, attempts, due_at, created_at) VALUES (?, ?, ?, ?, 'booking.created', ?, 'delivered', 1, ?, ?)`,
        [randomUUID(), randomUUID(), A.companyId, randomUUID(), JSON.stringify({ type: 'booking.created', data: { appointmentId: appointment, customer: { name } } }), now, now],
      );
    }
  });

  afterAll(async () => {
    for (const ds of Object.values(dbs)) await ds.destroy().catch(() => undefined);
    await producer?.disconnect?.();
    for (const svc of [sync, billing, notification, voice, booking, gw]) await svc?.close().catch(() => undefined);
    for (const sim of [calcom, retell, s3]) await sim?.close();
  });

  it('export: one document with every service’s records and the recording; bad ids are 404, staff may not', async () => {
    const res = await call('GET', `${base(A)}/customers/${ids.erika}/export`, A.admin);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain(`customer-${ids.erika}.json`);
    const { services, files, identifiers } = res.body;
    expect(identifiers).toMatchObject({ phones: [ERIKA], emails: ['erika@example.com'], appointmentIds: [ids.erikaAppointment], callIds: expect.arrayContaining([ids.erikaCall]) });
    expect(services.booking.customers.map((c: { name: string }) => c.name)).toEqual(['Erika Mustermann']);
    expect(services.booking.appointments.map((a: { id: string }) => a.id)).toEqual([ids.erikaAppointment]);
    expect(services['voice-agent'].calls.map((c: { call_id: string }) => c.call_id)).toEqual([ids.erikaCall]);
    expect(services.notification.messages.length).toBeGreaterThan(0);
    expect(services.notification.messages.every((m: { to_number: string; appointment_id: string }) => m.to_number === ERIKA || m.appointment_id === ids.erikaAppointment)).toBe(true);
    expect(services.billing.usageCharges.map((u: { call_id: string }) => u.call_id)).toContain(ids.erikaCall);
    expect(services.billing.usageCharges.map((u: { call_id: string }) => u.call_id)).not.toContain(ids.maxCall);
    expect(services.sync.callbackDeliveries.map((d: { payload: { data: { appointmentId: string } } }) => d.payload.data.appointmentId)).toEqual([ids.erikaAppointment]);
    expect(services.gateway.auditEntries).toEqual(expect.any(Array));
    // The recording, byte for byte as in the store.
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ path: `recordings/${ids.erikaCall}.wav`, contentType: 'audio/wav', sizeBytes: generateWav(2).length });
    expect(Buffer.from(files[0].contentBase64, 'base64').equals(generateWav(2))).toBe(true);

    expect((await call('GET', `${base(A)}/customers/${ids.erikaAtB}/export`, A.admin)).status).toBe(404); // B's customer
    expect((await call('GET', `${base(B)}/customers/${ids.erika}/export`, A.admin)).status).toBe(404); // B's path
    expect((await call('GET', `${base(A)}/customers/not-a-uuid/export`, A.admin)).status).toBe(404);
    expect((await call('GET', `${base(A)}/customers/${ids.erika}/export`, A.staff)).status).toBe(403);
  });

  it('erasure: personal data gone in every service and the store, accounting kept, audited, done only when all are, repeatable', async () => {
    expect((await call('GET', `${base(A)}/customers/${ids.erika}/erasure`, A.admin)).body).toMatchObject({ status: 'none', services: [] });
    expect((await call('GET', `${base(A)}/customers/${ids.erikaAtB}/erasure`, A.admin)).status).toBe(404);
    const started = await call('POST', `${base(A)}/customers/${ids.erika}/erasure`, A.admin);
    expect(started.status).toBe(202);
    expect(started.body.services.map((s: { service: string }) => s.service).sort()).toEqual(['billing', 'booking', 'gateway', 'notification', 'sync', 'voice-agent']);
    // Asked again while under way: the same erasure.
    const again = await call('POST', `${base(A)}/customers/${ids.erika}/erasure`, A.admin);
    expect(again.body.erasureId).toBe(started.body.erasureId);

    let last: unknown;
    const done = await waitFor(async () => {
      const res = await call('GET', `${base(A)}/customers/${ids.erika}/erasure`, A.admin);
      last = res.body;
      return res.body.status === 'completed' ? res.body : null;
    }, { timeoutMs: 45_000, intervalMs: 300, message: 'erasure completed' }).catch((error: Error) => {
      throw new Error(`${error.message}; last seen: ${JSON.stringify(last)}`);
    });
    expect(done.services.every((s: { status: string }) => s.status === 'done')).toBe(true);
    expect(done.services.find((s: { service: string }) => s.service === 'billing').counts.usageChargesKept).toBeGreaterThan(0);
    const usageBefore = Number((await dbs.billing.query('SELECT COUNT(*) AS n FROM usage_charge WHERE company_id = ?', [A.companyId]))[0].n);

    // booking: the record stays, nameless; the other customer and B's Erika untouched.
    const customers = await dbs.booking.query('SELECT id, name, phone, email FROM customer WHERE id IN (?)', [[ids.erika, ids.max, ids.erikaAtB]]);
    const byId = Object.fromEntries(customers.map((c: { id: string }) => [c.id, c]));
    expect(byId[ids.erika]).toMatchObject({ name: 'Erased customer', phone: null, email: null });
    expect(byId[ids.max]).toMatchObject({ name: 'Max Li', phone: MAX });
    expect(byId[ids.erikaAtB]).toMatchObject({ name: 'Erika bei B', phone: ERIKA });
    expect((await dbs.booking.query('SELECT notes FROM appointment WHERE id = ?', [ids.erikaAppointment]))[0].notes).toBeNull();
    expect((await dbs.booking.query('SELECT notes FROM appointment WHERE id = ?', [ids.maxAppointment]))[0].notes).toBe('Allergic to latex');
    // voice-agent and the store: Erika's call keeps its row without number, transcript or recording; Max's all there.
    const calls = await dbs.voice.query('SELECT call_id, from_number, transcript FROM call_record WHERE call_id IN (?)', [[ids.erikaCall, ids.maxCall]]);
    expect(calls.find((c: { call_id: string }) => c.call_id === ids.erikaCall)).toMatchObject({ from_number: null, transcript: null });
    expect(calls.find((c: { call_id: string }) => c.call_id === ids.maxCall)).toMatchObject({ from_number: MAX });
    expect((await dbs.voice.query('SELECT status, storage_key FROM call_recording WHERE call_id = ?', [ids.erikaCall]))[0]).toEqual({ status: 'erased', storage_key: null });
    expect(objects().some((k) => k.includes(ids.erikaCall))).toBe(false);
    expect(objects().some((k) => k.includes(ids.maxCall))).toBe(true);
    expect(Number((await dbs.voice.query('SELECT COUNT(*) AS n FROM call_webhook WHERE call_id = ?', [ids.erikaCall]))[0].n)).toBe(0);
    // notification: no number, no text; Max's message as it was.
    const messages = await dbs.notification.query('SELECT appointment_id, to_number, body FROM notification_message WHERE company_id = ? ORDER BY to_number', [A.companyId]);
    expect(messages.find((m: { appointment_id: string }) => m.appointment_id === ids.erikaAppointment)).toMatchObject({ to_number: 'erased', body: '' });
    expect(messages.find((m: { appointment_id: string }) => m.appointment_id === ids.maxAppointment)).toMatchObject({ to_number: MAX });
    // billing: the accounting entries stay as they were (a call id, no person).
    expect(Number((await dbs.billing.query('SELECT COUNT(*) AS n FROM usage_charge WHERE company_id = ?', [A.companyId]))[0].n)).toBe(usageBefore);
    expect(Number((await dbs.billing.query('SELECT COUNT(*) AS n FROM usage_charge WHERE call_id = ?', [ids.erikaCall]))[0].n)).toBeGreaterThan(0);
    // sync: Erika's delivery payload replaced, Max's kept.
    const payloads = (await dbs.sync.query('SELECT payload FROM callback_delivery WHERE company_id = ?', [A.companyId])).map((r: { payload: string }) => r.payload);
    expect(payloads).toEqual(expect.arrayContaining([JSON.stringify({ erased: true }), expect.stringContaining('Max Li')]));
    expect(payloads.some((p: string) => p.includes('Erika'))).toBe(false);
    // gateway: the erasure audited, requested and completed.
    const audit = await dbs.gateway.query(`SELECT action FROM audit_log WHERE company_id = ? AND target_id = ? ORDER BY id`, [A.companyId, ids.erika]);
    expect(audit.map((a: { action: string }) => a.action)).toEqual(expect.arrayContaining(['customer.exported', 'customer.erasure-requested', 'customer.erased']));

    // The customer as the API shows them now; a repeated erasure completes again and changes nothing more.
    expect((await call('GET', `${base(A)}/customers/${ids.erika}`, A.admin)).body).toMatchObject({ name: 'Erased customer', phone: null, email: null });
    const repeat = await call('POST', `${base(A)}/customers/${ids.erika}/erasure`, A.admin);
    expect(repeat.status).toBe(202);
    expect(repeat.body.erasureId).not.toBe(started.body.erasureId);
    await waitFor(async () => (await call('GET', `${base(A)}/customers/${ids.erika}/erasure`, A.admin)).body.status === 'completed', { timeoutMs: 45_000, message: 'repeated erasure completed' });
    expect((await call('POST', `${base(B)}/customers/${ids.erika}/erasure`, B.admin)).status).toBe(404);
  });

  it('retention: bad input is 400 naming the field; old recordings and transcripts go, newer ones and other companies stay', async () => {
    const bad = await call('PUT', `${base(A)}/retention`, A.admin, { recordingsDays: 0, transcriptsDays: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(bad.body)).toContain('recordingsDays');
    expect(JSON.stringify(bad.body)).toContain('transcriptsDays');
    expect((await call('GET', `${base(A)}/retention`, A.admin)).body).toEqual({ recordingsDays: null, transcriptsDays: null });
    expect((await call('PUT', `${base(B)}/retention`, A.admin, { recordingsDays: 1, transcriptsDays: 1 })).status).toBe(404);

    const fresh = await placeCall(MAX);
    // Max's first call is 100 days old, the fresh one is not.
    await dbs.voice.query('UPDATE call_record SET sort_at = ? WHERE call_id = ?', [new Date(Date.now() - 100 * 86_400_000), ids.maxCall]);
    const set = await call('PUT', `${base(A)}/retention`, A.admin, { recordingsDays: 90, transcriptsDays: 90 });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ recordingsDays: 90, transcriptsDays: 90 });
    await waitFor(async () => (await dbs.voice.query('SELECT status FROM call_recording WHERE call_id = ?', [ids.maxCall]))[0].status === 'expired', { timeoutMs: 20_000, message: 'old recording expired' });
    await waitFor(async () => (await dbs.voice.query('SELECT transcript_removed_at FROM call_record WHERE call_id = ?', [ids.maxCall]))[0].transcript_removed_at !== null, { timeoutMs: 20_000, message: 'old transcript removed' });
    expect(objects().some((k) => k.includes(ids.maxCall))).toBe(false);
    expect(objects().some((k) => k.includes(fresh))).toBe(true);
    const rows = await dbs.voice.query('SELECT call_id, transcript_removed_at, from_number FROM call_record WHERE call_id IN (?)', [[ids.maxCall, fresh]]);
    expect(rows.find((r: { call_id: string }) => r.call_id === ids.maxCall).transcript_removed_at).not.toBeNull();
    expect(rows.find((r: { call_id: string }) => r.call_id === fresh)).toMatchObject({ transcript_removed_at: null, from_number: MAX });
    expect((await dbs.voice.query('SELECT status FROM call_recording WHERE call_id = ?', [fresh]))[0].status).toBe('stored');
  });
});
