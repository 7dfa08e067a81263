import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { DataSource } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { createKafka, ensureTopics, specsFor } from '@receptionist/messaging';
import { silentLogger, testInfra, testKafkaSecurity, uniqueName, waitFor } from '@receptionist/testing';
import { createTestTenant, startGateway, TestGateway } from './gateway-app';
import { signRetell } from '../src/retell/retell-signature';
// The chain behind the gateway: voice-agent records the call, billing debits it (test composition only).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startVoiceAgent, TestVoiceAgent } from '../../voice-agent/test/voice-agent-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBilling, TestBilling, TestPublisher } from '../../billing/test/billing-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { rateTalkTime } from '../../billing/src/usage/rating';

jest.setTimeout(180_000);

const ADMIN = { email: 'ops@long-calls.test', password: 'operator password 123' };
const API_KEY = 'key_long_calls_test';
const MiB = 1024 * 1024;
const VOCABULARY = 'ich hätte gern einen Termin für einen Herrenhaarschnitt am Donnerstag Nachmittag wenn möglich bei Frau Schmidt sonst auch gern bei jemand anderem danke schön'.split(' ');

/**
 * A long call as Retell sends it: `transcript_object` and `transcript_with_tool_calls`, every utterance with its
 * word timings (Retell's floats), grown until the `call_analyzed` body is at least `bytes`. The call lasts as long
 * as its words take.
 */
function longCall(callId: string, agentId: string, bytes: number) {
  const utterances: { role: 'agent' | 'user'; content: string; words: { word: string; start: number; end: number }[] }[] = [];
  let t = 0.412;
  let size = 0;
  while (size < bytes / 2) {
    const words = Array.from({ length: 12 + (utterances.length % 9) }, (_, i) => {
      const word = VOCABULARY[(utterances.length * 7 + i * 3) % VOCABULARY.length];
      const w = { word, start: t, end: t + 0.18 + Math.random() * 0.3 };
      t = w.end + Math.random() * 0.12;
      return w;
    });
    t += 0.6 + Math.random();
    const u = { role: utterances.length % 2 ? ('user' as const) : ('agent' as const), content: words.map((w) => w.word).join(' '), words };
    utterances.push(u);
    size += JSON.stringify(u).length;
  }
  const end = Date.now();
  const durationMs = Math.ceil(t * 1000);
  return {
    call: {
      call_id: callId,
      agent_id: agentId,
      call_type: 'phone_call',
      call_status: 'ended',
      direction: 'inbound',
      from_number: '+491701234567',
      to_number: '+4930123456',
      start_timestamp: end - durationMs,
      end_timestamp: end,
      duration_ms: durationMs,
      disconnection_reason: 'user_hangup',
      transcript: utterances.map((u) => `${u.role === 'agent' ? 'Agent' : 'User'}: ${u.content}`).join('\n'),
      transcript_object: utterances,
      transcript_with_tool_calls: utterances,
      call_analysis: { call_summary: 'Ein langes Gespräch über einen Termin.', user_sentiment: 'Positive', call_successful: true, in_voicemail: false, custom_analysis_data: {} },
    },
    seconds: durationMs / 1000,
    turns: utterances.length,
  };
}

describe('long calls: a multi-MiB Retell call webhook is recorded and billed', () => {
  let gw: TestGateway;
  let voice: TestVoiceAgent;
  let billing: TestBilling;
  let publisher: TestPublisher;
  let billingDb: DataSource;
  let tenant: { companyId: string; admin: string };
  const agentId = uniqueName('agent_long');

  beforeAll(async () => {
    // What `npm run infra:topics` does on deployment: the catalogue's settings (max.message.bytes) on the topic.
    await ensureTopics(createKafka({ brokers: testInfra.kafkaBrokers, clientId: uniqueName('long-calls-topics'), logger: silentLogger, security: testKafkaSecurity() }), specsFor([Topics.retellCallWebhook]));
    gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, RETELLAI_API_KEY: API_KEY });
    const platform = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
    tenant = await createTestTenant(gw, platform, 'Lange Anrufe');
    expect((await gw.call('POST', `/api/v1/companies/${tenant.companyId}/agents`, { token: platform, body: { agentId } })).status).toBe(201);
    voice = await startVoiceAgent({}, { companies: [tenant.companyId] });
    billing = await startBilling({}, { companies: [tenant.companyId] });
    publisher = await new TestPublisher().start();
    await publisher.billingSetup(tenant.companyId, { perMinuteMinor: 29, lowBalanceThresholdMinor: 0 });
    billingDb = new DataSource({ type: 'mysql', ...testInfra.db, database: billing.database, timezone: 'Z' });
    await billingDb.initialize();
  });

  afterAll(async () => {
    await billingDb?.destroy();
    await publisher?.stop();
    await billing?.close();
    await voice?.close();
    await gw?.close();
  });

  const send = (payload: unknown, path = '/api/webhooks/retell') => {
    const raw = JSON.stringify(payload);
    return fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-retell-signature': signRetell(raw, API_KEY) }, body: raw }).then(
      async (r) => ({ status: r.status, body: await r.text(), bytes: Buffer.byteLength(raw) }),
    );
  };

  it('a signed 5 MiB call_ended and call_analyzed go through the gateway; voice-agent records the call and billing debits it once', async () => {
    const callId = uniqueName('call_long');
    const { call, seconds, turns } = longCall(callId, agentId, 5 * MiB);
    const { call_analysis: _analysis, ...ended } = call;
    const analyzed = { event: 'call_analyzed', call };
    // Bigger than the broker's default record limit even compressed: this is what used to be lost.
    expect(gzipSync(JSON.stringify(analyzed)).length).toBeGreaterThan(MiB);

    // call_started carries the basic call info only: an end, a duration or an analysis there would make the record
    // 'analyzed' (with call_started's empty transcript) before call_ended and call_analyzed are even read.
    const { call_id, agent_id, call_type, direction, from_number, to_number, start_timestamp } = call;
    const started = await send({ event: 'call_started', call: { call_id, agent_id, call_type, direction, from_number, to_number, start_timestamp, call_status: 'ongoing' } });
    const endedAnswer = await send({ event: 'call_ended', call: ended });
    const analyzedAnswer = await send(analyzed);
    expect(analyzedAnswer.bytes).toBeGreaterThanOrEqual(5 * MiB);
    expect([started.status, endedAnswer.status, analyzedAnswer.status]).toEqual([204, 204, 204]);

    const record = await waitFor(
      async () => {
        const res = await gw.call('GET', `/api/v1/companies/${tenant.companyId}/calls/${callId}`, { token: tenant.admin });
        return res.status === 200 && res.body.status === 'analyzed' ? res.body : null;
      },
      { timeoutMs: 60_000, intervalMs: 200, message: 'the long call recorded' },
    );
    expect(record).toMatchObject({ callId, status: 'analyzed', durationSeconds: Math.ceil(seconds), summary: 'Ein langes Gespräch über einen Termin.' });
    expect(record.transcript).toBe(call.transcript);
    expect(record.turns).toHaveLength(turns);

    const charges = await waitFor(
      async () => {
        const rows: { quantity: number; amount_minor: string; status: string }[] = await billingDb.query(
          `SELECT quantity, amount_minor, status FROM usage_charge WHERE company_id = ? AND call_id = ? AND kind = 'talk_time'`,
          [tenant.companyId, callId],
        );
        return rows.length > 0 && rows.every((r) => r.status === 'charged') ? rows : null;
      },
      { timeoutMs: 60_000, intervalMs: 200, message: 'the long call billed' },
    );
    expect(charges.map((c) => [c.quantity, Number(c.amount_minor)])).toEqual([[Math.ceil(seconds), rateTalkTime({ seconds: Math.ceil(seconds), perMinuteMinor: 29, mode: 'per_second', discountBasisPoints: 0 })]]);
    const [{ n }] = await billingDb.query(`SELECT COUNT(*) AS n FROM ledger_entry WHERE company_id = ? AND kind = 'usage'`, [tenant.companyId]);
    expect(Number(n)).toBe(1);
  });

  it('a call object too large even compressed gets its own 413, while the webhooks sent with it are acknowledged and recorded', async () => {
    const small = Array.from({ length: 6 }, () => uniqueName('call_beside'));
    const tooLarge = uniqueName('call_noise');
    // 12 MiB of incompressible text: under the 25 MiB body limit, over the topic's 8 MiB even compressed.
    const noise = { event: 'call_ended', call: { call_id: tooLarge, agent_id: agentId, call_status: 'ended', transcript: randomBytes(9 * MiB).toString('base64') } };
    const startedOf = (callId: string) => ({ event: 'call_started', call: { call_id: callId, agent_id: agentId, call_status: 'ongoing', direction: 'inbound', start_timestamp: Date.now() } });
    const answers = await Promise.all([send(noise), ...small.map((id) => send(startedOf(id)))]);
    expect(answers.map((a) => a.status)).toEqual([413, ...small.map(() => 204)]);
    expect(answers[0].body).toContain('call:');
    for (const callId of small) {
      await waitFor(async () => (await gw.call('GET', `/api/v1/companies/${tenant.companyId}/calls/${callId}`, { token: tenant.admin })).status === 200, {
        timeoutMs: 30_000,
        message: `call ${callId} recorded`,
      });
    }
    expect((await gw.call('GET', `/api/v1/companies/${tenant.companyId}/calls/${tooLarge}`, { token: tenant.admin })).status).toBe(404);
  });

  it('Retell routes refuse more than 25 MiB with 413; every other route keeps its 1 MiB limit', async () => {
    const callId = uniqueName('call_huge');
    const huge = await send({ event: 'call_analyzed', call: { call_id: callId, agent_id: agentId, transcript: 'x'.repeat(26 * MiB) } });
    expect(huge.status).toBe(413);
    const other = await gw.call('POST', '/api/v1/auth/login', { body: { email: 'a@b.test', password: 'x'.repeat(2 * MiB) } });
    expect(other.status).toBe(413);
  });
});
