import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { Topics, createEnvelope } from '@receptionist/contracts';
import { MessageProducer } from '@receptionist/messaging';
import { generateWav, retellSimulator, RunningSimulator, signLikeRetell, startSimulator } from '@receptionist/simulators';
import { collectMessages, testInfra, testKafka, uniqueName, waitFor } from '@receptionist/testing';
// The chain needs a real gateway in front (test composition only, as apps/gateway/test/onboarding.int-spec.ts does).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startGateway, TestGateway } from '../../gateway/test/gateway-app';
import { CallFunctionsLog } from '../src/calls/call-functions.log';
import { createVoiceAgentDatabase, startVoiceAgent, TestVoiceAgent } from './voice-agent-app';

jest.setTimeout(180_000);

const ADMIN = { email: 'ops@call-records.test', password: 'operator password 123' };
const API_KEY = 'key_call_records_test';
const CALLER = '+491701234567';

/**
 * Call records end to end on the real broker, database and Redis: the Retell simulator plays a call against a
 * test gateway, the gateway puts the signed webhooks on Kafka, voice-agent builds the record, stores the
 * recording and publishes call.* facts; the admin API reads it back through the gateway.
 */
describe('call records (Retell webhooks → gateway → voice-agent)', () => {
  let sim: RunningSimulator<any>;
  let gw: TestGateway;
  let voice: TestVoiceAgent;
  let db: { database: string; drop: () => Promise<void> };
  let ds: DataSource;
  let audioDir: string;
  let facts: Awaited<ReturnType<typeof collectMessages>>;
  const agentId = uniqueName('agent_calls');
  const number = `+4930${Math.floor(1e7 + Math.random() * 8e7)}`;
  const tenants: Record<'A' | 'B', { companyId: string; token: string }> = {} as never;
  let voiceEnv: Record<string, string>;

  beforeAll(async () => {
    audioDir = await mkdtemp(path.join(tmpdir(), 'audio-'));
    sim = await startSimulator(retellSimulator, { port: 0 });
    gw = await startGateway({
      PLATFORM_ADMIN_EMAIL: ADMIN.email,
      PLATFORM_ADMIN_PASSWORD: ADMIN.password,
      RETELLAI_API_KEY: API_KEY,
      VOICE_FUNCTION_DEADLINE_MS: '1200',
    });
    const platform = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
    for (const key of ['A', 'B'] as const) {
      const company = await gw.call('POST', '/api/v1/companies', { token: platform, body: { name: `Praxis ${key}`, timeZone: 'Europe/Berlin', currency: 'EUR', language: 'de' } });
      const companyId = company.body.id as string;
      const email = `admin-${key.toLowerCase()}@calls.test`;
      const user = await gw.call('POST', `/api/v1/companies/${companyId}/users`, { token: platform, body: { email, name: `${key} admin`, password: `${key} admin password`, role: 'company_admin' } });
      expect([company.status, user.status]).toEqual([201, 201]);
      tenants[key] = { companyId, token: (await gw.call('POST', '/api/v1/auth/login', { body: { email, password: `${key} admin password` } })).body.token };
    }
    expect((await gw.call('POST', `/api/v1/companies/${tenants.A.companyId}/agents`, { token: platform, body: { agentId } })).status).toBe(201);
    expect((await gw.call('POST', `/api/v1/companies/${tenants.A.companyId}/phone-numbers`, { token: platform, body: { number } })).status).toBe(201);

    db = await createVoiceAgentDatabase();
    ds = new DataSource({ type: 'mysql', ...testInfra.db, database: db.database, timezone: 'Z' });
    await ds.initialize();
    // The simulator serves recordings over plain http on 127.0.0.1, which only an explicit http:// entry allows.
    voiceEnv = { AUDIO_LOCAL_DIR: audioDir, RECORDING_RETRY_MS: '300', RECORDING_URL_HOSTS: 'http://127.0.0.1' };
    voice = await startVoiceAgent(voiceEnv, { database: db.database, companies: [tenants.A.companyId, tenants.B.companyId] });
    facts = await collectMessages(testKafka(), [Topics.callStarted.name, Topics.callCompleted.name, Topics.callAnalyzed.name], { fromBeginning: false });
  });

  afterAll(async () => {
    await facts?.stop();
    await voice?.close();
    await gw?.close();
    await sim?.close();
    await ds?.destroy();
    await db?.drop();
    await rm(audioDir, { recursive: true, force: true });
  });

  const placeCall = async (extra: Record<string, unknown> = {}) => {
    const res = await fetch(`${sim.url}/__sim/retell/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        agentId,
        fromNumber: CALLER,
        toNumber: number,
        baseUrl: gw.url,
        apiKey: API_KEY,
        durationMs: 95_000,
        analysisData: { anliegen: 'Termin' },
        steps: [{ name: 'check_availability', args: { dienstleistung: 'Haarschnitt', datum: 'morgen' } }],
        ...extra,
      }),
    });
    expect(res.status).toBe(200);
    const placed = (await res.json()) as any;
    expect(placed.webhooks.map((w: any) => [w.event, w.status])).toEqual([
      ['call_started', 204],
      ['call_ended', 204],
      ['call_analyzed', 204],
    ]);
    return placed as { call: any; webhooks: { event: string; payload: { event: string; call: any } }[] };
  };
  const factsOf = (callId: string) =>
    facts.messages.filter((m) => m.key?.toString() === callId).map((m) => ({ topic: m.topic, envelope: JSON.parse(m.value!.toString()) }));
  const getCall = (callId: string, token = tenants.A.token, company = tenants.A.companyId) => gw.call('GET', `/api/v1/companies/${company}/calls/${callId}`, { token });
  const complete = (callId: string) =>
    waitFor(
      async () => {
        const res = await getCall(callId);
        return res.status === 200 && res.body.status === 'analyzed' && res.body.recording?.status === 'stored' && factsOf(callId).length === 3 ? res.body : null;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'a complete call record' },
    );
  const sendWebhook = (payload: unknown) => {
    const raw = JSON.stringify(payload);
    return fetch(`${gw.url}/api/webhooks/retell`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-retell-signature': signLikeRetell(raw, API_KEY) }, body: raw });
  };
  const download = async (callId: string, headers: Record<string, string> = {}, token = tenants.A.token) => {
    const res = await fetch(`${gw.url}/api/v1/companies/${tenants.A.companyId}/calls/${callId}/recording`, { headers: { authorization: `Bearer ${token}`, ...headers } });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };

  let first: { call: any; webhooks: { event: string; payload: { event: string; call: any } }[] };
  let firstRecord: any;
  /** The first call's webhooks as another call (same recording URL, which the simulator serves). */
  const withCallId = (callId: string) => first.webhooks.map((w) => ({ ...w.payload, call: { ...w.payload.call, call_id: callId } }));

  it('a scripted call gives one complete record (transcript, analysis, recording, functions) and one call.completed', async () => {
    first = await placeCall({ recordingSeconds: 40 });
    const callId = first.call.call_id;
    firstRecord = await complete(callId);
    expect(firstRecord).toMatchObject({
      callId,
      agentId,
      fromNumber: CALLER,
      toNumber: number,
      direction: 'inbound',
      status: 'analyzed',
      outcome: 'completed',
      durationSeconds: 95,
      disconnectionReason: 'user_hangup',
      sentiment: expect.any(String),
      analysis: { summary: expect.stringContaining('check_availability'), custom: { anliegen: 'Termin' } },
      bookingIds: [],
      retellCostMinor: 11, // 95 s at 7 ct a minute = 11.083 ct
      recording: { status: 'stored', contentType: 'audio/wav', sizeBytes: 44 + 40 * 8000 * 2 },
    });
    expect(firstRecord.transcript).toContain('Agent:');
    expect(firstRecord.turns.length).toBeGreaterThanOrEqual(3);
    expect(firstRecord.turns[0]).toMatchObject({ role: 'agent', content: expect.any(String), startSeconds: 0 });
    expect(firstRecord.functions.map((f: any) => f.name)).toEqual(['check_availability']);
    expect(new Date(firstRecord.endedAt).getTime() - new Date(firstRecord.startedAt).getTime()).toBe(95_000);
    const [{ n }] = await ds.query('SELECT COUNT(*) AS n FROM call_record WHERE call_id = ?', [callId]);
    expect(Number(n)).toBe(1);

    await new Promise((r) => setTimeout(r, 1000)); // nothing more may follow
    const published = factsOf(callId);
    // One fact per topic; Kafka does not order across topics.
    expect(published.map((f) => f.topic).sort()).toEqual(['call.analyzed', 'call.completed', 'call.started']);
    const completed = published.find((f) => f.topic === 'call.completed')!.envelope;
    expect(completed).toMatchObject({ companyId: tenants.A.companyId, subject: callId, source: voice.service });
    expect(completed.data).toMatchObject({ callId, agentId, fromNumber: CALLER, toNumber: number, durationSeconds: 95, billableSeconds: 95, bookingIds: [], disconnectionReason: 'user_hangup' });

    // The stored file is the simulator's recording, byte for byte, with its checksum.
    const wav = generateWav(40);
    const sha = createHash('sha256').update(wav).digest('hex');
    expect(firstRecord.recording.sha256).toBe(sha);
    const whole = await download(callId); // 640 KB: more than one piece over Kafka
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('audio/wav');
    expect(whole.headers.get('etag')).toBe(`"sha256-${sha}"`);
    expect(whole.body.equals(wav)).toBe(true);
    const part = await download(callId, { range: 'bytes=524280-524299' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 524280-524299/${wav.length}`);
    expect(part.body.equals(wav.subarray(524280, 524300))).toBe(true);
  });

  it('a recording link plays that one recording with Range for an <audio> element (no token), and only for its company', async () => {
    const callId = first.call.call_id;
    const wav = generateWav(40);
    const link = await fetch(`${gw.url}/api/v1/companies/${tenants.A.companyId}/calls/${callId}/recording-link`, { method: 'POST', headers: { authorization: `Bearer ${tenants.A.token}` } });
    expect(link.status).toBe(201);
    const { url, expiresAt } = (await link.json()) as { url: string; expiresAt: string };
    expect(url).toMatch(/^\/api\/recordings\/[A-Za-z0-9_-]{32}$/);
    expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now());
    const part = await fetch(gw.url + url, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${wav.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(wav.subarray(100, 200))).toBe(true);
    // a made-up link, and a link for A's call asked with B's token, find nothing
    expect((await fetch(`${gw.url}/api/recordings/${'x'.repeat(32)}`)).status).toBe(404);
    const foreign = await fetch(`${gw.url}/api/v1/companies/${tenants.B.companyId}/calls/${callId}/recording-link`, { method: 'POST', headers: { authorization: `Bearer ${tenants.B.token}` } });
    expect(foreign.status).toBe(404);
  });

  it('the same webhooks twice and in reverse order give the same record and no second fact', async () => {
    const callId = uniqueName('call_rev');
    const payloads = withCallId(callId);
    for (const p of [...payloads].reverse()) expect((await sendWebhook(p)).status).toBe(204);
    for (const p of payloads) expect((await sendWebhook(p)).status).toBe(204);
    const record = await complete(callId);
    await new Promise((r) => setTimeout(r, 1000));
    expect(factsOf(callId).map((f) => f.topic).sort()).toEqual(['call.analyzed', 'call.completed', 'call.started']);
    const comparable = (r: any) => {
      const { callId: _c, functions: _f, recording, ...rest } = r;
      return { ...rest, recording: { ...recording, storedAt: null } };
    };
    expect(comparable(record)).toEqual(comparable(firstRecord));
    const completed = factsOf(callId).find((f) => f.topic === 'call.completed')!.envelope.data;
    const firstCompleted = factsOf(first.call.call_id).find((f) => f.topic === 'call.completed')!.envelope.data;
    expect({ ...completed, callId: null }).toEqual({ ...firstCompleted, callId: null });
  });

  it('appointments booked in the call are on the record and in call.completed', async () => {
    const callId = uniqueName('call_booked');
    const payloads = withCallId(callId);
    expect((await sendWebhook(payloads[0])).status).toBe(204); // call_started
    // book_appointment during the call, as voice-agent's function responder records it
    await voice.app.get(CallFunctionsLog).record({
      companyId: tenants.A.companyId,
      callId,
      requestKey: 'k1',
      name: 'book_appointment',
      reply: { success: true, data: { appointmentId: 'appt-during-call' } },
      durationMs: 42,
    });
    for (const p of payloads.slice(1)) expect((await sendWebhook(p)).status).toBe(204);
    await complete(callId);
    const completed = factsOf(callId).find((f) => f.topic === 'call.completed')!.envelope.data;
    expect(completed.bookingIds).toEqual(['appt-during-call']);

    // booking.created with the call id (booking's own fact) adds to the record, also after the call ended.
    const producer = new MessageProducer(testKafka());
    await producer.connect();
    await producer.publish({
      topic: Topics.bookingCreated.name,
      key: 'appt-from-booking',
      envelope: createEnvelope({
        type: Topics.bookingCreated.name,
        source: 'booking',
        companyId: tenants.A.companyId,
        subject: 'appt-from-booking',
        data: {
          appointmentId: 'appt-from-booking',
          calcomBookingUid: null,
          serviceId: 'svc',
          serviceName: 'Haarschnitt',
          staffId: null,
          startsAt: '2030-01-02T10:00:00+01:00',
          endsAt: '2030-01-02T10:30:00+01:00',
          timeZone: 'Europe/Berlin',
          customer: { customerId: 'c1', name: 'Max', phone: CALLER, email: null, language: 'de' },
          callId,
        },
      }),
    });
    await producer.disconnect();
    const record = await waitFor(async () => {
      const r = await getCall(callId);
      return r.body.bookingIds?.length === 2 ? r.body : null;
    });
    expect(record.bookingIds.sort()).toEqual(['appt-during-call', 'appt-from-booking']);
    expect(record.outcome).toBe('booked');
    expect(record.functions).toEqual([expect.objectContaining({ name: 'book_appointment', success: true, durationMs: 42 })]);
    expect(factsOf(callId).filter((f) => f.topic === 'call.completed')).toHaveLength(1);
  });

  it('voice-agent stopped between receipt and processing loses nothing', async () => {
    const service = voice.service;
    await voice.close(); // the database is the test's, not dropped
    const placed = await placeCall({ steps: [] }); // the gateway acknowledged: the webhooks are on Kafka
    const callId = placed.call.call_id;
    expect((await getCall(callId)).status).toBe(503); // nobody answers voice.calls.request meanwhile
    voice = await startVoiceAgent(voiceEnv, { database: db.database, companies: [tenants.A.companyId, tenants.B.companyId], service });
    const record = await complete(callId);
    expect(record).toMatchObject({ status: 'analyzed', durationSeconds: 95, recording: { status: 'stored' } });
    await new Promise((r) => setTimeout(r, 1000));
    // Three topics: Kafka orders messages within one, not across them, so the facts are compared as a set.
    expect(factsOf(callId).map((f) => f.topic).sort()).toEqual(['call.analyzed', 'call.completed', 'call.started']);
  });

  it('a recording that cannot be fetched is retried later, not lost', async () => {
    sim.setFault({ mode: 'down' }); // the recording URL answers 503 (the control route still places the call)
    const placed = await placeCall({ steps: [] });
    const callId = placed.call.call_id;
    const pending = await waitFor(async () => {
      const [row] = await ds.query('SELECT status, attempts, last_error FROM call_recording WHERE call_id = ?', [callId]);
      return row && row.attempts >= 1 ? row : null;
    });
    expect(pending).toMatchObject({ status: 'pending', last_error: 'recording download answered 503' });
    sim.setFault({ mode: 'normal' });
    const record = await complete(callId);
    expect(record.recording.attempts).toBeGreaterThanOrEqual(2);
    expect(record.recording.sizeBytes).toBe(generateWav(5).length);
  });

  it('lists and filters calls of the company, page by page', async () => {
    const base = `/api/v1/companies/${tenants.A.companyId}/calls`;
    const all = await gw.call('GET', `${base}?limit=100`, { token: tenants.A.token });
    expect(all.status).toBe(200);
    expect(all.body.data.length).toBeGreaterThanOrEqual(5);
    const starts = all.body.data.map((c: any) => new Date(c.startedAt).getTime());
    expect([...starts].sort((a, b) => b - a)).toEqual(starts);

    const pages: string[] = [];
    let next: string | null = null;
    do {
      const page: any = await gw.call('GET', `${base}?limit=2${next ? `&cursor=${next}` : ''}`, { token: tenants.A.token });
      pages.push(...page.body.data.map((c: any) => c.callId));
      next = page.body.next;
    } while (next);
    expect(pages).toEqual(all.body.data.map((c: any) => c.callId));

    const booked = await gw.call('GET', `${base}?outcome=booked`, { token: tenants.A.token });
    expect(booked.body.data.map((c: any) => c.outcome)).toEqual(['booked']);
    const byNumber = await gw.call('GET', `${base}?number=${encodeURIComponent('0170 1234567')}`, { token: tenants.A.token });
    expect(byNumber.status).toBe(400); // not E.164 and no country to guess
    const byCaller = await gw.call('GET', `${base}?number=${encodeURIComponent(CALLER)}`, { token: tenants.A.token });
    expect(byCaller.body.data.length).toBe(all.body.data.length);
    const future = await gw.call('GET', `${base}?from=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`, { token: tenants.A.token });
    expect(future.body.data).toEqual([]);
    const bad = await gw.call('GET', `${base}?from=yesterday&outcome=great`, { token: tenants.A.token });
    expect(bad.status).toBe(400);
    expect(bad.body.field.split(',').sort()).toEqual(['from', 'outcome']);
    expect((await gw.call('GET', `${base}?cursor=bm9wZQ`, { token: tenants.A.token })).status).toBe(400);
  });

  it('another company cannot see the call, its list or its recording', async () => {
    const callId = first.call.call_id;
    expect((await getCall(callId, tenants.B.token)).status).toBe(404); // A's path with B's token
    expect((await getCall(callId, tenants.B.token, tenants.B.companyId)).status).toBe(404); // B's path, A's call
    expect((await gw.call('GET', `/api/v1/companies/${tenants.A.companyId}/calls`, { token: tenants.B.token })).status).toBe(404);
    const own = await gw.call('GET', `/api/v1/companies/${tenants.B.companyId}/calls`, { token: tenants.B.token });
    expect(own).toMatchObject({ status: 200, body: { data: [], next: null } });
    expect((await download(callId, {}, tenants.B.token)).status).toBe(404);
    const res = await fetch(`${gw.url}/api/v1/companies/${tenants.B.companyId}/calls/${callId}/recording`, { headers: { authorization: `Bearer ${tenants.B.token}` } });
    expect(res.status).toBe(404);
    expect((await getCall(callId, 'rcp_nobody.secret')).status).toBe(401);
  });
});
