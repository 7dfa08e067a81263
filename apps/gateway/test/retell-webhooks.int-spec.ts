import { Topics } from '@receptionist/contracts';
import { collectMessages, testKafka, uniqueName, waitFor } from '@receptionist/testing';
import { startGateway, TestGateway } from './gateway-app';
import { signRetell } from '../src/retell/retell-signature';

jest.setTimeout(90000);

const ADMIN = { email: 'ops@retell-webhooks.test', password: 'operator password 123' };
const API_KEY = 'key_retell_webhooks_test';

describe('Retell call webhooks at the gateway', () => {
  let gw: TestGateway;
  let collector: Awaited<ReturnType<typeof collectMessages>>;
  let companyId: string;
  const agentId = uniqueName('agent_wh');

  beforeAll(async () => {
    gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, RETELLAI_API_KEY: API_KEY, RETELLAI_FUNCTION_SECRET: 'fn-secret', RETELLAI_FUNCTION_SECRET_COMPANY: '8d2f3c1e-0b7a-4c55-9a1e-3f6d2b7c9e01' });
    const admin = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
    companyId = (await gw.call('POST', '/api/v1/companies', { token: admin, body: { name: 'Webhook GmbH', timeZone: 'Europe/Berlin', currency: 'EUR', language: 'de' } })).body.id;
    await gw.call('POST', `/api/v1/companies/${companyId}/agents`, { token: admin, body: { agentId } });
    collector = await collectMessages(testKafka(), [Topics.retellCallWebhook.name], { fromBeginning: false });
  });

  afterAll(async () => {
    await collector?.stop();
    await gw?.close();
  });

  const send = (body: unknown, headers: Record<string, string> | null = null, path = '/api/webhooks/retell') => {
    const raw = JSON.stringify(body);
    return fetch(`${gw.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(headers ?? { 'x-retell-signature': signRetell(raw, API_KEY) }) },
      body: raw,
    }).then(async (r) => ({ status: r.status, text: await r.text() }));
  };
  const ofCall = (callId: string) =>
    collector.messages.filter((m) => m.key?.toString() === callId).map((m) => JSON.parse(m.value!.toString()));
  const callObject = (callId: string) => ({ call_id: callId, agent_id: agentId, call_status: 'ongoing', from_number: '+491701234567', to_number: '+4930123456', direction: 'inbound', start_timestamp: Date.now() });

  it('acknowledges a call event only once it is on Kafka, attributed to the company', async () => {
    const callId = uniqueName('call');
    const res = await send({ event: 'call_started', call: callObject(callId) });
    expect(res.status).toBe(204);
    // acknowledged ⇒ already durable: it is readable right away
    await waitFor(() => ofCall(callId).length === 1, { timeoutMs: 5000 });
    const [envelope] = ofCall(callId);
    expect(envelope).toMatchObject({ type: 'retell.call.webhook', companyId, subject: callId, data: { event: 'call_started', callId, agentId } });
    expect(envelope.data.call.from_number).toBe('+491701234567');
  });

  it('a redelivered webhook is the same message (same id), so it has no second effect downstream', async () => {
    const callId = uniqueName('call');
    const body = { event: 'call_ended', call: { ...callObject(callId), call_status: 'ended', end_timestamp: Date.now() } };
    expect((await send(body)).status).toBe(204);
    expect((await send(body)).status).toBe(204); // Retell retries on a timeout
    expect((await send(body, null, '/api/webhook')).status).toBe(204); // legacy URL
    await waitFor(() => ofCall(callId).length === 3, { timeoutMs: 5000 });
    expect(new Set(ofCall(callId).map((e) => e.id)).size).toBe(1);
    const other = await send({ event: 'call_analyzed', call: callObject(callId) });
    expect(other.status).toBe(204);
    await waitFor(() => ofCall(callId).length === 4, { timeoutMs: 5000 });
    expect(new Set(ofCall(callId).map((e) => e.id)).size).toBe(2);
  });

  it('acknowledges and counts unknown events without forwarding them', async () => {
    const callId = uniqueName('call');
    expect((await send({ event: 'transfer_bridged', call: callObject(callId) })).status).toBe(204);
    const metrics = await fetch(`${gw.metricsUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/gateway_retell_webhooks_total\{[^}]*event="unknown",outcome="ignored"[^}]*\} [1-9]/);
    await new Promise((r) => setTimeout(r, 500));
    expect(ofCall(callId)).toHaveLength(0);
  });

  it('refuses a bad signature (401) and a malformed signed payload (400 naming the field); nothing forwarded', async () => {
    const callId = uniqueName('call');
    const body = { event: 'call_started', call: callObject(callId) };
    expect((await send(body, { 'x-retell-signature': signRetell(JSON.stringify(body), 'key_other') })).status).toBe(401);
    expect((await send(body, {})).status).toBe(401);
    expect((await send(body, { authorization: 'Bearer fn-secret' })).status).toBe(401); // the function secret is not Retell's signature
    const noId = await send({ event: 'call_started', call: { agent_id: agentId } });
    expect(noId.status).toBe(400);
    expect(noId.text).toContain('call.call_id');
    const noEvent = await send({ call: callObject(callId) });
    expect(noEvent.status).toBe(400);
    expect(noEvent.text).toContain('event');
    await new Promise((r) => setTimeout(r, 500));
    expect(ofCall(callId)).toHaveLength(0);
  });
});
