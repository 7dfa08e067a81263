import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import {
  generateWav,
  retellSimulator,
  RunningSimulator,
  S3_SIM_ACCESS_KEY_ID,
  S3_SIM_REGION,
  S3_SIM_SECRET_ACCESS_KEY,
  s3Simulator,
  S3State,
  signLikeRetell,
  startSimulator,
} from '@receptionist/simulators';
import { MessagingRuntime } from '@receptionist/service-runtime';
import { testInfra, uniqueName, waitFor } from '@receptionist/testing';
// The chain needs a real gateway in front (test composition only, as call-records.int-spec.ts does).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startGateway, TestGateway } from '../../gateway/test/gateway-app';
import { createVoiceAgentDatabase, startVoiceAgent, TestVoiceAgent } from './voice-agent-app';

jest.setTimeout(180_000);

const ADMIN = { email: 'ops@recordings-s3.test', password: 'operator password 123' };
const API_KEY = 'key_recordings_s3_test';
const CALLER = '+491701234568';
const BUCKET = 'call-audio-test';

/**
 * Recordings in S3 (AUDIO_STORAGE_DRIVER=s3) on the real broker, database and Redis: the Retell simulator plays a
 * call against a test gateway, voice-agent fetches the recording from the allowed simulator host and puts it into the
 * S3 simulator (Signature V4 and the SHA-256 checksum checked there); the admin API streams it back through the
 * gateway. Also: S3 down → the recording stays pending and is stored once S3 is back; a recording URL whose host is
 * not on RECORDING_URL_HOSTS is recorded as refused and never fetched, also when an allowed host redirects to it.
 */
describe('call recordings in S3 and the recording host allow-list', () => {
  let retell: RunningSimulator<any>;
  let s3sim: RunningSimulator<S3State>;
  let redirector: Server;
  let redirectorUrl: string;
  let gw: TestGateway;
  let voice: TestVoiceAgent;
  let db: { database: string; drop: () => Promise<void> };
  let ds: DataSource;
  const agentId = uniqueName('agent_s3');
  const number = `+4940${Math.floor(1e7 + Math.random() * 8e7)}`;
  let companyId: string;
  let token: string;

  beforeAll(async () => {
    retell = await startSimulator(retellSimulator, { port: 0 });
    s3sim = await startSimulator(s3Simulator, { port: 0 });
    s3sim.state.buckets.set(BUCKET, { createdAt: new Date(), objects: new Map() });
    // An allowed host that answers with a redirect to a host that is not allowed (the SSRF detour).
    redirector = createServer((req, res) => {
      res.writeHead(302, { location: `http://localhost:${retell.port}${req.url}` }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;

    gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, RETELLAI_API_KEY: API_KEY, VOICE_FUNCTION_DEADLINE_MS: '1200' });
    const platform = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
    const company = await gw.call('POST', '/api/v1/companies', { token: platform, body: { name: 'Praxis S3', timeZone: 'Europe/Berlin', currency: 'EUR', language: 'de' } });
    companyId = company.body.id;
    const user = await gw.call('POST', `/api/v1/companies/${companyId}/users`, {
      token: platform,
      body: { email: 'admin@s3.test', name: 'S3 admin', password: 'S3 admin password', role: 'company_admin' },
    });
    expect([company.status, user.status]).toEqual([201, 201]);
    token = (await gw.call('POST', '/api/v1/auth/login', { body: { email: 'admin@s3.test', password: 'S3 admin password' } })).body.token;
    expect((await gw.call('POST', `/api/v1/companies/${companyId}/agents`, { token: platform, body: { agentId } })).status).toBe(201);
    expect((await gw.call('POST', `/api/v1/companies/${companyId}/phone-numbers`, { token: platform, body: { number } })).status).toBe(201);

    db = await createVoiceAgentDatabase();
    ds = new DataSource({ type: 'mysql', ...testInfra.db, database: db.database, timezone: 'Z' });
    await ds.initialize();
    voice = await startVoiceAgent(
      {
        AUDIO_STORAGE_DRIVER: 's3',
        AUDIO_S3_BUCKET: BUCKET,
        AUDIO_S3_ENDPOINT: s3sim.url,
        AUDIO_S3_REGION: S3_SIM_REGION,
        AUDIO_S3_ACCESS_KEY_ID: S3_SIM_ACCESS_KEY_ID,
        AUDIO_S3_SECRET_ACCESS_KEY: S3_SIM_SECRET_ACCESS_KEY,
        AUDIO_S3_PREFIX: 'recordings/',
        AUDIO_S3_BREAKER_RESET_MS: '500',
        RECORDING_RETRY_MS: '300',
        // Retell's own hosts plus plain http to 127.0.0.1 (the simulators); "localhost" is deliberately not on it.
        RECORDING_URL_HOSTS: 'dxc03zgurdly9.cloudfront.net,*.retellai.com,http://127.0.0.1',
      },
      { database: db.database, companies: [companyId] },
    );
  });

  afterAll(async () => {
    await voice?.close();
    await gw?.close();
    await retell?.close();
    await s3sim?.close();
    await new Promise((r) => redirector?.close(r));
    await ds?.destroy();
    await db?.drop();
  });

  const placeCall = async (extra: Record<string, unknown> = {}) => {
    const res = await fetch(`${retell.url}/__sim/retell/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agentId, fromNumber: CALLER, toNumber: number, baseUrl: gw.url, apiKey: API_KEY, durationMs: 60_000, steps: [], ...extra }),
    });
    expect(res.status).toBe(200);
    const placed = (await res.json()) as { call: { call_id: string; recording_url: string } };
    return placed.call;
  };
  const recordingRow = async (callId: string) => {
    const [row] = await ds.query('SELECT status, attempts, last_error, storage_driver, storage_key, size_bytes, sha256 FROM call_recording WHERE call_id = ?', [callId]);
    return row as { status: string; attempts: number; last_error: string | null; storage_driver: string; storage_key: string; size_bytes: string; sha256: string } | undefined;
  };
  const getCall = (callId: string) => gw.call('GET', `/api/v1/companies/${companyId}/calls/${callId}`, { token });
  const download = async (callId: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${gw.url}/api/v1/companies/${companyId}/calls/${callId}/recording`, { headers: { authorization: `Bearer ${token}`, ...headers } });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };
  const recordingGets = (path: string) => retell.requests().filter((r) => r.method === 'GET' && r.path === path);
  const refusedCount = async () => {
    const text = await (await fetch(`${voice.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('voice_recording_downloads_total{') && l.includes('outcome="refused"'));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it('a scripted call’s recording ends up in the bucket with the stored size and checksum, and the admin API streams the same bytes', async () => {
    const call = await placeCall({ recordingSeconds: 40 });
    const row = await waitFor(async () => {
      const r = await recordingRow(call.call_id);
      return r?.status === 'stored' ? r : null;
    }, { timeoutMs: 30_000, intervalMs: 100, message: 'the recording stored in S3' });
    const wav = generateWav(40);
    const sha = createHash('sha256').update(wav).digest('hex');
    expect(row).toMatchObject({ storage_driver: 's3', sha256: sha });
    expect(Number(row.size_bytes)).toBe(wav.length);

    // In the bucket under the prefix, byte for byte, and the store verified the SHA-256 we sent.
    const object = s3sim.state.buckets.get(BUCKET)!.objects.get(`recordings/${row.storage_key}`)!;
    expect(row.storage_key).toMatch(new RegExp(`^${companyId}/\\d{4}/\\d{2}/${call.call_id}\\.wav$`));
    expect(object.body.equals(wav)).toBe(true);
    expect(object).toMatchObject({ contentType: 'audio/wav', checksums: { sha256: Buffer.from(sha, 'hex').toString('base64') }, metadata: { sha256: sha } });
    const put = s3sim.requests().find((r) => r.method === 'PUT' && r.path.endsWith(`${call.call_id}.wav`))!;
    expect(put.headers.authorization).toBe('[redacted]'); // signed (the simulator checked it), never kept

    const record = await getCall(call.call_id);
    expect(record.body.recording).toMatchObject({ status: 'stored', sizeBytes: wav.length, sha256: sha, contentType: 'audio/wav' });
    const whole = await download(call.call_id); // 640 KB: two pieces over Kafka, each a ranged GetObject
    expect(whole.status).toBe(200);
    expect(whole.headers.get('etag')).toBe(`"sha256-${sha}"`);
    expect(whole.body.equals(wav)).toBe(true);
    const part = await download(call.call_id, { range: 'bytes=524280-524299' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 524280-524299/${wav.length}`);
    expect(part.body.equals(wav.subarray(524280, 524300))).toBe(true);
    const ranged = s3sim.requests().filter((r) => r.method === 'GET' && r.path.endsWith(`${call.call_id}.wav`));
    expect(ranged.length).toBeGreaterThanOrEqual(3);
    expect(ranged.every((r) => typeof r.headers.range === 'string' && r.statusCode === 206)).toBe(true);
  });

  it('S3 down during the download: the recording stays pending (nothing half-stored) and is stored once S3 is back', async () => {
    s3sim.setFault({ mode: 'down' });
    const call = await placeCall({ recordingSeconds: 3 });
    const pending = await waitFor(async () => {
      const r = await recordingRow(call.call_id);
      return r && r.attempts >= 1 ? r : null;
    }, { timeoutMs: 30_000, intervalMs: 100, message: 'a failed attempt' });
    expect(pending.status).toBe('pending');
    // Five outages in a row opened the breaker; the heartbeat shows it (informational).
    expect(voice.app.get(MessagingRuntime).contributedChecks()['audio.s3']).toEqual({ ok: false, detail: expect.stringMatching(/^breaker (open|half-open); bucket at start: reachable$/) });
    expect(pending.last_error).toMatch(/^S3 (upload failed: ServiceUnavailable|circuit open)|S3 upload failed: Error: S3 circuit open/);
    expect(recordingGets(`/recordings/${call.call_id}.wav`).length).toBeGreaterThanOrEqual(1); // fetched from Retell, not stored
    expect([...s3sim.state.buckets.get(BUCKET)!.objects.keys()].some((k) => k.includes(call.call_id))).toBe(false);
    // Still pending a moment later (retried with back-off, not given up).
    await new Promise((r) => setTimeout(r, 1500));
    expect((await recordingRow(call.call_id))!.status).toBe('pending');

    s3sim.setFault({ mode: 'normal' });
    const stored = await waitFor(async () => {
      const r = await recordingRow(call.call_id);
      return r?.status === 'stored' ? r : null;
    }, { timeoutMs: 30_000, intervalMs: 100, message: 'the recording stored after S3 came back' });
    const wav = generateWav(3);
    expect(stored.attempts).toBeGreaterThanOrEqual(2);
    expect(stored.sha256).toBe(createHash('sha256').update(wav).digest('hex'));
    expect(s3sim.state.buckets.get(BUCKET)!.objects.get(`recordings/${stored.storage_key}`)!.body.equals(wav)).toBe(true);
    expect((await download(call.call_id)).body.equals(wav)).toBe(true);
    expect(voice.app.get(MessagingRuntime).contributedChecks()['audio.s3']).toEqual({ ok: true, detail: 'breaker closed; bucket at start: reachable' });
  });

  it('a recording URL on a host outside RECORDING_URL_HOSTS is recorded as refused, counted, and never fetched', async () => {
    const before = await refusedCount();
    // Same simulator, addressed as "localhost": not on the list.
    const call = await placeCall({ recordingBaseUrl: `http://localhost:${retell.port}` });
    expect(call.recording_url).toBe(`http://localhost:${retell.port}/recordings/${call.call_id}.wav`);
    const row = await waitFor(async () => {
      const r = await recordingRow(call.call_id);
      return r?.status === 'refused' ? r : null;
    }, { timeoutMs: 30_000, intervalMs: 100, message: 'the recording refused' });
    expect(row).toMatchObject({ attempts: 0, storage_key: null, last_error: `recording URL refused: http://localhost:${retell.port} is not on RECORDING_URL_HOSTS` });
    const record = await getCall(call.call_id);
    expect(record.body).toMatchObject({ status: 'analyzed', recording: { status: 'refused', sizeBytes: null, sha256: null } });
    expect((await download(call.call_id)).status).toBe(404);
    expect(await refusedCount()).toBe(before + 1);
    await new Promise((r) => setTimeout(r, 1000)); // the poller runs every 300 ms: it must leave refused rows alone
    expect(recordingGets(`/recordings/${call.call_id}.wav`)).toEqual([]);
    expect((await recordingRow(call.call_id))!.status).toBe('refused');
  });

  it('https is required for listed hosts, and a redirect from an allowed host to another host is not followed', async () => {
    // Plain http to a Retell host (only https is allowed there): refused without a request.
    const callId = uniqueName('call_http');
    const call = { call_id: callId, agent_id: agentId, call_status: 'ended', from_number: CALLER, to_number: number, direction: 'inbound', start_timestamp: Date.now() - 60_000, end_timestamp: Date.now(), recording_url: `http://dxc03zgurdly9.cloudfront.net/${callId}/recording.wav` };
    const raw = JSON.stringify({ event: 'call_ended', call });
    const res = await fetch(`${gw.url}/api/webhooks/retell`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-retell-signature': signLikeRetell(raw, API_KEY) }, body: raw });
    expect(res.status).toBe(204);
    const refused = await waitFor(async () => {
      const r = await recordingRow(callId);
      return r?.status === 'refused' ? r : null;
    }, { timeoutMs: 30_000, intervalMs: 100, message: 'the http recording refused' });
    expect(refused.last_error).toBe('recording URL refused: http://dxc03zgurdly9.cloudfront.net is not on RECORDING_URL_HOSTS');

    // 127.0.0.1 is allowed; it redirects to localhost, which is not: the hop is refused and the target never asked.
    const redirected = await placeCall({ recordingBaseUrl: redirectorUrl });
    const row = await waitFor(async () => {
      const r = await recordingRow(redirected.call_id);
      return r?.status === 'refused' ? r : null;
    }, { timeoutMs: 30_000, intervalMs: 100, message: 'the redirected recording refused' });
    expect(row.last_error).toBe(`recording redirect refused: http://localhost:${retell.port} is not on RECORDING_URL_HOSTS`);
    expect(recordingGets(`/recordings/${redirected.call_id}.wav`)).toEqual([]);
  });
});
