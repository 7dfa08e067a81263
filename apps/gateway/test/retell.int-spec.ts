import { createHmac } from 'node:crypto';
import { Topics } from '@receptionist/contracts';
import { RequestResponder } from '@receptionist/messaging';
import { silentLogger, startGroupsAtEnd, testKafka, uniqueName } from '@receptionist/testing';
import { retellSimulator, startSimulator } from '@receptionist/simulators';
import { startGateway, TestGateway } from './gateway-app';
import { signRetell } from '../src/retell/retell-signature';

jest.setTimeout(90000);

const ADMIN = { email: 'ops@retell.test', password: 'operator password 123' };
const API_KEY = 'key_retell_test_0123456789';
const FUNCTION_SECRET = 'function-secret-of-the-old-system';

/**
 * The gateway's side of Retell function calls: authentication before any work, company routing, forwarding
 * over the real broker (a responder on `voice.function.call` stands in for voice-agent and records what it got),
 * the deadline fallback and the inbound call webhook. The whole chain with the real voice-agent and booking is
 * tested in tools/platform/voice-call.int-spec.ts.
 */
describe('Retell function calls at the gateway', () => {
  let gw: TestGateway;
  let responder: RequestResponder;
  const received: any[] = [];
  let delayMs = 0;
  const agentId = uniqueName('agent_test');
  const number = `+4930${Math.floor(1e7 + Math.random() * 8e7)}`;
  let companyId: string;
  let legacyGw: TestGateway;
  let otherCompanyId: string;
  const otherAgentId = uniqueName('agent_other');
  const otherNumber = `+4989${Math.floor(1e7 + Math.random() * 8e7)}`;

  beforeAll(async () => {
    gw = await startGateway({
      PLATFORM_ADMIN_EMAIL: ADMIN.email,
      PLATFORM_ADMIN_PASSWORD: ADMIN.password,
      RETELLAI_API_KEY: API_KEY,
      VOICE_FUNCTION_DEADLINE_MS: '1500',
    });
    const admin = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
    const company = await gw.call('POST', '/api/v1/companies', { token: admin, body: { name: 'Salon Retell', timeZone: 'Europe/Berlin', currency: 'EUR', language: 'de' } });
    companyId = company.body.id;
    expect((await gw.call('POST', `/api/v1/companies/${companyId}/agents`, { token: admin, body: { agentId } })).status).toBe(201);
    expect((await gw.call('POST', `/api/v1/companies/${companyId}/phone-numbers`, { token: admin, body: { number } })).status).toBe(201);
    // A second tenant on the same platform, whose routing an attacker would like to borrow.
    const other = await gw.call('POST', '/api/v1/companies', { token: admin, body: { name: 'Praxis Fremd', timeZone: 'Europe/Berlin', currency: 'EUR', language: 'de' } });
    otherCompanyId = other.body.id;
    expect((await gw.call('POST', `/api/v1/companies/${otherCompanyId}/agents`, { token: admin, body: { agentId: otherAgentId } })).status).toBe(201);
    expect((await gw.call('POST', `/api/v1/companies/${otherCompanyId}/phone-numbers`, { token: admin, body: { number: otherNumber } })).status).toBe(201);
    // The old system's function secret, bound to the first company (a second instance on the same database).
    legacyGw = await startGateway(
      { RETELLAI_API_KEY: API_KEY, RETELLAI_FUNCTION_SECRET: FUNCTION_SECRET, RETELLAI_FUNCTION_SECRET_COMPANY: companyId, VOICE_FUNCTION_DEADLINE_MS: '1500' },
      { database: gw.database },
    );

    // The stand-in's group starts at the topic's current end, committed before it joins: a new group told to read
    // from "latest" resolves that only at its first fetch and could skip a request sent right after start().
    const groupId = uniqueName('voice-agent-standin');
    await startGroupsAtEnd({ [groupId]: [Topics.voiceFunctionCall.name] });
    responder = new RequestResponder(testKafka(), {
      groupId,
      topic: Topics.voiceFunctionCall.name,
      logger: silentLogger,
      handler: async (envelope) => {
        const data = envelope.data as any;
        if (data.company?.id !== companyId && data.company?.id !== otherCompanyId) return undefined; // another test's request on the shared topic
        received.push({ ...data, envelopeCompanyId: envelope.companyId });
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        if (data.function === 'initialize_call') return { success: true, message: 'Guten Tag', data: { dynamicVariables: { customer_name: 'Erika', customer_known: true } } };
        return { success: true, message: `ok ${data.function}`, data: { args: data.args } };
      },
    });
    await responder.start();
  });

  afterAll(async () => {
    await responder?.stop();
    await legacyGw?.close();
    await gw?.close();
  });

  beforeEach(() => {
    received.length = 0;
    delayMs = 0;
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}, base = gw.url) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }).then(
      async (r) => ({ status: r.status, body: (await r.json().catch(() => null)) as any, headers: r.headers }),
    );
  const signed = (path: string, body: unknown, key = API_KEY, now = Date.now()) => {
    const raw = JSON.stringify(body);
    return post(path, raw, { 'x-retell-signature': signRetell(raw, key, now) });
  };
  const call = (extra: Record<string, unknown> = {}) => ({ call_id: uniqueName('call'), agent_id: agentId, from_number: '+49 170 1234567', to_number: number, ...extra });

  it('refuses a missing, wrong-key, stale or tampered signature with 401 before any work', async () => {
    const body = { name: 'check_availability', call: call(), args: { datum: 'morgen' } };
    const raw = JSON.stringify(body);
    const missing = await post('/api/webhooks/retell/function', raw);
    expect(missing.status).toBe(401);
    expect(missing.body.message).toBe('missing or invalid Retell signature');
    expect((await signed('/api/webhooks/retell/function', body, 'key_of_someone_else')).status).toBe(401);
    expect((await signed('/api/webhooks/retell/function', body, API_KEY, Date.now() - 6 * 60_000)).status).toBe(401);
    expect((await signed('/api/webhooks/retell/function', body, API_KEY, Date.now() + 6 * 60_000)).status).toBe(401);
    const tampered = await post('/api/webhooks/retell/function', raw.replace('morgen', 'heute'), { 'x-retell-signature': signRetell(raw, API_KEY) });
    expect(tampered.status).toBe(401);
    expect((await post('/api/retell/book-appointment', raw, { authorization: 'Bearer not-the-secret' })).status).toBe(401);
    expect(received).toHaveLength(0);
  });

  it('accepts Retell signatures (current and legacy form) and the old function secret (bearer or HMAC)', async () => {
    const body = { name: 'check_availability', call: call(), args: { datum: 'morgen' } };
    const raw = JSON.stringify(body);
    expect((await signed('/api/webhooks/retell/function', body)).body).toMatchObject({ success: true, message: 'ok check_availability' });
    const t = Math.floor(Date.now() / 1000);
    const legacy = createHmac('sha256', API_KEY).update(`${t}.${raw}`).digest('hex');
    expect((await post('/api/webhooks/retell/function', raw, { 'x-retell-signature': `t=${t},v1=${legacy}` })).body.success).toBe(true);
    expect((await post('/api/webhooks/retell/function', raw, { authorization: `Bearer ${FUNCTION_SECRET}` }, legacyGw.url)).body.success).toBe(true);
    const hmac = createHmac('sha256', FUNCTION_SECRET).update(raw).digest('hex');
    expect((await post('/api/webhooks/retell/function', raw, { 'x-retell-function-signature': hmac }, legacyGw.url)).body.success).toBe(true);
    // Without RETELLAI_FUNCTION_SECRET (the first instance) the old secret is no credential at all.
    expect((await post('/api/webhooks/retell/function', raw, { authorization: `Bearer ${FUNCTION_SECRET}` })).status).toBe(401);
    expect(received).toHaveLength(4);
    expect(received.every((r) => r.company.id === companyId)).toBe(true);
  });

  it("routes only by the signed body: headers and query parameters naming another company's agent, number or call are ignored", async () => {
    // A call of the other company, seen once (so its call id is known to the gateway).
    const theirs = call({ agent_id: otherAgentId, to_number: otherNumber });
    expect((await signed('/api/webhooks/retell/function', { name: 'check_availability', call: theirs, args: {} })).body.success).toBe(true);
    expect(received[0].company.id).toBe(otherCompanyId);
    received.length = 0;

    // Our signed call, with every unsigned routing field pointing at the other company.
    const ours = call();
    const raw = JSON.stringify({ name: 'check_availability', call: ours, args: { datum: 'morgen' } });
    const foreign = { 'x-retell-agent-id': otherAgentId, 'x-retell-to-number': otherNumber, 'x-retell-call-id': theirs.call_id };
    const query = `?agent_id=${otherAgentId}&to_number=${encodeURIComponent(otherNumber)}&call_id=${theirs.call_id}`;
    const res = await post(`/api/webhooks/retell/function${query}`, raw, { 'x-retell-signature': signRetell(raw, API_KEY), ...foreign });
    expect(res.body).toMatchObject({ success: true, message: 'ok check_availability' });
    expect(received[0]).toMatchObject({ company: { id: companyId }, callId: ours.call_id, toNumber: number });

    // Bare arguments (args_at_root) signed by Retell, with the other company only in headers/query: not theirs.
    const bare = JSON.stringify({ datum: 'morgen' });
    const headerOnly = await post(`/api/retell/check-availability${query}`, bare, { 'x-retell-signature': signRetell(bare, API_KEY), ...foreign });
    expect(headerOnly.body).toMatchObject({ success: false, code: 'no_call_context' });
    expect(received).toHaveLength(1);
    expect(received.some((r) => r.company.id === otherCompanyId)).toBe(false);
  });

  it('binds the old function secret to its one company: another company is never reached with it', async () => {
    const theirs = call({ agent_id: otherAgentId, to_number: otherNumber });
    expect((await signed('/api/webhooks/retell/function', { name: 'check_availability', call: theirs, args: {} })).body.success).toBe(true);
    received.length = 0;
    const bearer = { authorization: `Bearer ${FUNCTION_SECRET}` };
    const viaLegacy = (body: unknown, path = '/api/webhooks/retell/function') => post(path, JSON.stringify(body), bearer, legacyGw.url);

    // The other company's agent, number or (known) call id in the body: refused, nothing forwarded.
    expect((await viaLegacy({ name: 'cancel_appointment', call: call({ agent_id: otherAgentId, to_number: otherNumber }), args: {} })).status).toBe(401);
    expect((await viaLegacy({ name: 'cancel_appointment', call: call({ agent_id: undefined, to_number: otherNumber }), args: {} })).status).toBe(401);
    expect((await viaLegacy({ call_id: theirs.call_id, datum: 'morgen' }, '/api/retell/get-customer-appointments')).status).toBe(401);
    expect((await viaLegacy({ event: 'call_inbound', call_inbound: { from_number: '+491701234567', to_number: otherNumber } }, '/api/webhooks/retell/inbound')).status).toBe(401);
    expect(received).toHaveLength(0);

    // Its own company's call, and a body that names no company (the old system's agents), are its company's.
    expect((await viaLegacy({ name: 'check_availability', call: call(), args: {} })).body.success).toBe(true);
    expect((await viaLegacy({ datum: 'morgen' }, '/api/retell/check-availability')).body.success).toBe(true);
    expect(received.map((r) => r.company.id)).toEqual([companyId, companyId]);

    // A call id first seen through the legacy secret is not bound to its company for later tool calls.
    const unseen = uniqueName('call');
    expect((await viaLegacy({ call_id: unseen, datum: 'morgen' }, '/api/retell/check-availability')).body.success).toBe(true);
    const later = await signed('/api/retell/check-availability', { call_id: unseen, datum: 'morgen' });
    expect(later.body).toMatchObject({ success: false, code: 'unknown_company' });
  });

  it('resolves the company from the agent id or the number called and forwards the call context', async () => {
    const c = call({ agent_id: undefined });
    const res = await signed('/api/retell/check-availability', { call: c, args: { dienstleistung: 'Herrenschnitt', datum: 'morgen' } });
    expect(res.status).toBe(200);
    expect(res.body.message).toBe('ok check_availability');
    const got = received[0];
    expect(got.envelopeCompanyId).toBe(companyId);
    expect(got.company).toMatchObject({ id: companyId, timeZone: 'Europe/Berlin', language: 'de', currency: 'EUR' });
    expect(got).toMatchObject({ function: 'check_availability', callId: c.call_id, fromNumber: '+491701234567', toNumber: number });
    expect(got.args).toEqual({ dienstleistung: 'Herrenschnitt', datum: 'morgen' });
    expect(got.requestKey).toMatch(/^[0-9a-f]{64}$/);

    // args_at_root: the bare arguments; the call is found again by its exact id (the signed `call_id` argument,
    // the agent's {{call_id}}), never guessed.
    const bareBody = { call_id: c.call_id, datum: 'morgen', uhrzeit: '14:00' };
    const bare = await signed('/api/retell/book-appointment', bareBody);
    expect(bare.body.message).toBe('ok book_appointment');
    expect(received[1]).toMatchObject({ callId: c.call_id, company: { id: companyId }, args: bareBody });
  });

  it('the same body retried gives the same request key (so voice-agent answers the same)', async () => {
    const body = { name: 'book_appointment', call: call(), args: { datum: 'morgen', uhrzeit: '10:00' } };
    await signed('/api/webhooks/retell/function', body);
    await signed('/api/webhooks/retell/function', body);
    expect(received).toHaveLength(2);
    expect(received[0].requestKey).toBe(received[1].requestKey);
  });

  it('answers 200 with a spoken refusal for an unknown company or a call it cannot place, and forwards nothing', async () => {
    const unknown = await signed('/api/webhooks/retell/function', { name: 'check_availability', call: call({ agent_id: 'agent_nobody', to_number: '+4989111111' }), args: {} });
    expect(unknown.status).toBe(200);
    expect(unknown.body).toMatchObject({ success: false, code: 'unknown_company' });
    expect(unknown.body.message.length).toBeGreaterThan(10);
    const nocontext = await signed('/api/webhooks/retell/function', { name: 'check_availability', args: { call_id: 'current_call' } });
    expect(nocontext.body).toMatchObject({ success: false, code: 'no_call_context' });
    const strangerCall = await signed('/api/retell/check-availability', { call_id: 'call_that_was_never_seen_here', datum: 'heute' });
    expect(strangerCall.body).toMatchObject({ success: false, code: 'unknown_company' });
    expect(received).toHaveLength(0);
  });

  it('past the deadline answers the spoken fallback in the company’s language', async () => {
    delayMs = 2500;
    const started = Date.now();
    const res = await signed('/api/webhooks/retell/function', { name: 'book_appointment', call: call(), args: {} });
    expect(Date.now() - started).toBeLessThan(2400);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: false, code: 'timeout' });
    expect(res.body.message).toMatch(/zurück/);
    expect(received).toHaveLength(1); // the work was handed over and is not cancelled
  });

  it('answers the inbound call webhook with dynamic variables; unknown number 404, missing number 400', async () => {
    const res = await signed('/api/webhooks/retell', { event: 'call_inbound', call_inbound: { from_number: '+491701234567', to_number: number } });
    expect(res.status).toBe(200);
    const vars = res.body.call_inbound.dynamic_variables;
    expect(vars).toMatchObject({ company_name: 'Salon Retell', customer_name: 'Erika', customer_known: 'true', customer_phone: '+491701234567' });
    expect(vars.current_date).toMatch(/^\d{2}\.\d{2}\.\d{4}$/);
    expect(Object.values(vars).every((v) => typeof v === 'string')).toBe(true);
    expect(res.body.call_inbound.metadata.company_id).toBe(companyId);
    expect(received[0]).toMatchObject({ function: 'initialize_call', fromNumber: '+491701234567' });

    expect((await signed('/api/webhooks/retell', { event: 'call_inbound', call_inbound: { from_number: '+491701234567', to_number: '+4940999999' } })).status).toBe(404);
    expect((await signed('/api/webhooks/retell', { event: 'call_inbound', call_inbound: { from_number: '+491701234567' } })).status).toBe(400);
  });

  it('limits voice function calls per company (100/min) with RateLimit headers', async () => {
    const res = await signed('/api/webhooks/retell/function', { name: 'check_availability', call: call(), args: {} });
    expect(res.headers.get('ratelimit-limit')).toBe('100');
    expect(Number(res.headers.get('ratelimit-remaining'))).toBeLessThan(100);
  });

  it('takes a call placed by the Retell simulator (signed as Retell signs, retried like Retell)', async () => {
    const sim = await startSimulator(retellSimulator, { port: 0 });
    try {
      const res = await fetch(`${sim.url}/__sim/retell/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          agentId,
          fromNumber: '+491701234567',
          toNumber: number,
          baseUrl: gw.url,
          apiKey: API_KEY,
          steps: [{ name: 'check_availability_v17', args: { datum: 'morgen' } }, { name: 'book_appointment', args: {}, route: '/api/retell/book-appointment' }],
        }),
      });
      const placed = (await res.json()) as any;
      expect(res.status).toBe(200);
      expect(placed.inbound.status).toBe(200);
      expect(placed.steps.map((s: any) => [s.status, s.body.success])).toEqual([[200, true], [200, true]]);
      expect(received.map((r) => [r.function, r.callId])).toEqual([
        ['initialize_call', null],
        ['check_availability_v17', placed.call.call_id],
        ['book_appointment', placed.call.call_id],
      ]);
      // args_at_root: the bare arguments with the agent's {{call_id}}, routed by that signed id (bound to the company by
      // the signed call_started webhook the simulator sent first).
      received.length = 0;
      const bareCall = await fetch(`${sim.url}/__sim/retell/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ agentId, fromNumber: '+491701234567', toNumber: number, baseUrl: gw.url, apiKey: API_KEY, argsAtRoot: true, steps: [{ name: 'check_availability', args: { datum: 'morgen' }, route: '/api/retell/check-availability' }] }),
      });
      const bare = (await bareCall.json()) as any;
      expect(bare.steps.map((s: any) => [s.status, s.body.success])).toEqual([[200, true]]);
      expect(received.map((r) => [r.function, r.callId, r.company.id])).toEqual([
        ['initialize_call', null, companyId],
        ['check_availability', bare.call.call_id, companyId],
      ]);
      const wrongKey = await fetch(`${sim.url}/__sim/retell/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ agentId, fromNumber: '+491701234567', toNumber: number, baseUrl: gw.url, apiKey: 'key_wrong', steps: [{ name: 'book_appointment' }] }),
      });
      const refused = (await wrongKey.json()) as any;
      expect(refused.inbound.status).toBe(401);
      expect(refused.steps[0]).toMatchObject({ status: 401, attempts: 1 });
    } finally {
      await sim.close();
    }
  });
});
