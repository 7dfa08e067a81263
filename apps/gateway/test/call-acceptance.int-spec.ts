import { randomBytes } from 'node:crypto';
import { Topics } from '@receptionist/contracts';
import { RequestResponder } from '@receptionist/messaging';
import { RunningSimulator, startSimulator, StripeState, stripeSimulator } from '@receptionist/simulators';
import { collectMessages, silentLogger, startGroupsAtEnd, testKafka, uniqueName, waitFor } from '@receptionist/testing';
import { startGateway, TestGateway } from './gateway-app';
import { signRetell } from '../src/retell/retell-signature';
// Billing decides when a balance is exhausted: the real one debits the calls and credits the Stripe top-up.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBilling, TestBilling, TestPublisher } from '../../billing/test/billing-app';

/**
 * An exhausted prepaid balance refuses new calls, end to end: real billing debits a call below zero and publishes
 * `balance.exhausted` {refuseCalls}, the gateway records it, and Retell's inbound call webhook is answered with
 * the refusal for the agent to say; a top-up through the Stripe simulator (its signed webhook through the gateway)
 * lifts the balance out of `exhausted`, `balance.restored` reaches the gateway and the next call is taken. A tool
 * call of a call already running is still answered.
 */
jest.setTimeout(180_000);

const ADMIN = { email: 'root@call-acceptance.test', password: 'correct horse battery staple' };
const API_KEY = 'key_call_acceptance_test';
const WEBHOOK_SECRET = 'whsec_call_acceptance_test';

let gw: TestGateway;
let billing: TestBilling;
let stripe: RunningSimulator<StripeState>;
let publisher: TestPublisher;
let responder: RequestResponder;
let collector: Awaited<ReturnType<typeof collectMessages>>;
let platform: string;
let companyId: string;
const number = `+4930${Math.floor(1e7 + Math.random() * 8e7)}`;
const forwarded: { function: string; callId: string | null }[] = [];

const signed = async (path: string, body: unknown) => {
  const raw = JSON.stringify(body);
  const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-retell-signature': signRetell(raw, API_KEY) }, body: raw });
  return { status: res.status, body: (await res.json()) as any };
};
const inboundCall = () => signed('/api/webhooks/retell', { event: 'call_inbound', call_inbound: { from_number: '+491701234567', to_number: number } });
const billingPath = () => `/api/v1/companies/${companyId}/billing`;
const balance = async () => (await gw.call('GET', `${billingPath()}/balance`, { token: platform })).body as { balance: number; state: string };

beforeAll(async () => {
  // A service name of its own: this gateway's consumer group sees every balance fact, not a share of them.
  const service = `gateway-test-${randomBytes(3).toString('hex')}`;
  await startGroupsAtEnd({ [service]: [Topics.balanceExhausted.name, Topics.balanceRestored.name, Topics.setupApplied.name, Topics.serviceHeartbeat.name] });
  gw = await startGateway(
    { PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, RETELLAI_API_KEY: API_KEY, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, VOICE_FUNCTION_DEADLINE_MS: '3000' },
    { service },
  );
  platform = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
  const company = await gw.call('POST', '/api/v1/companies', { token: platform, body: { name: 'Praxis Guthaben', timeZone: 'Europe/Berlin', currency: 'EUR', language: 'de' } });
  companyId = company.body.id;
  expect((await gw.call('POST', `/api/v1/companies/${companyId}/phone-numbers`, { token: platform, body: { number } })).status).toBe(201);

  process.env.SIM_STRIPE_WEBHOOK_URL = `${gw.url}/api/webhooks/stripe`;
  process.env.SIM_STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET;
  stripe = await startSimulator(stripeSimulator, { port: 0 });
  delete process.env.SIM_STRIPE_WEBHOOK_URL;
  delete process.env.SIM_STRIPE_WEBHOOK_SECRET;
  billing = await startBilling({ STRIPE_API_BASE: stripe.url, STRIPE_SECRET: 'sk_test_call_acceptance' }, { companies: [companyId] });
  publisher = await new TestPublisher().start();
  collector = await collectMessages(testKafka(), [Topics.balanceExhausted.name, Topics.balanceRestored.name], { fromBeginning: false });

  // voice-agent's place on voice.function.call, for this company only.
  const groupId = uniqueName('voice-agent-standin');
  await startGroupsAtEnd({ [groupId]: [Topics.voiceFunctionCall.name] });
  responder = new RequestResponder(testKafka(), {
    groupId,
    topic: Topics.voiceFunctionCall.name,
    logger: silentLogger,
    handler: async (envelope) => {
      const data = envelope.data as any;
      if (data.company?.id !== companyId) return undefined;
      forwarded.push({ function: data.function, callId: data.callId });
      if (data.function === 'initialize_call') return { success: true, message: 'Guten Tag', data: { dynamicVariables: { customer_known: false } } };
      return { success: true, message: `ok ${data.function}` };
    },
  });
  await responder.start();

  // Prepaid at 0.60 €/min, low under 10 €, and this company's calls are refused once its balance is exhausted.
  await publisher.billingSetup(companyId, { perMinuteMinor: 60, lowBalanceThresholdMinor: 1000 });
  await waitFor(async () => (await gw.call('GET', `${billingPath()}/prices`, { token: platform })).status === 200, { message: 'billing set up', timeoutMs: 30_000 });
  const prices = await gw.call('PATCH', `${billingPath()}/prices`, { token: platform, body: { refuseCallsWhenExhausted: true } });
  expect(prices.status).toBe(200);
});

afterAll(async () => {
  await responder?.stop();
  await collector?.stop();
  await publisher?.stop();
  await billing?.close();
  await stripe?.close();
  await gw?.close();
});

/** This test's billing's facts about the company (other test files' billing instances share the broker). */
const ofCompany = (topic: string) =>
  collector.messages
    .filter((m) => m.topic === topic && m.key?.toString() === companyId)
    .map((m) => JSON.parse(m.value!.toString()))
    .filter((e, i, all) => e.source === billing.service && all.findIndex((o) => o.id === e.id) === i); // (the test's own redelivery once)

describe('call acceptance from the prepaid balance', () => {
  it('refuses the inbound call of an exhausted company with a spoken reason, keeps running calls going, and takes calls again after a Stripe top-up', async () => {
    const before = await inboundCall();
    expect(before.status).toBe(200);
    expect(before.body.call_inbound.dynamic_variables).toMatchObject({ call_accepted: 'true', company_name: 'Praxis Guthaben' });

    // A call already running when the balance runs out.
    const running = { call_id: uniqueName('call'), agent_id: 'agent_unrouted', from_number: '+491701234567', to_number: number };
    // Its minute is debited: 0 − 60 → exhausted.
    await publisher.publish(publisher.callCompleted(companyId, uniqueName('call_done'), 60));
    await waitFor(async () => (await balance()).state === 'exhausted', { message: 'balance exhausted', timeoutMs: 30_000 });
    await waitFor(async () => (await inboundCall()).body.call_inbound.dynamic_variables.call_accepted === 'false', { message: 'calls refused', timeoutMs: 30_000 });
    expect(ofCompany(Topics.balanceExhausted.name).map((e) => e.data)).toEqual([expect.objectContaining({ refuseCalls: true, balance: -60 })]);

    forwarded.length = 0;
    const refused = await inboundCall();
    expect(refused.status).toBe(200);
    expect(refused.body.call_inbound.dynamic_variables).toMatchObject({
      call_accepted: 'false',
      call_refused_reason: 'balance_exhausted',
      company_name: 'Praxis Guthaben',
      call_refusal_message: expect.stringMatching(/Praxis Guthaben.*nicht annehmen/),
    });
    expect(refused.body.call_inbound.metadata).toMatchObject({ company_id: companyId, call_refused: 'balance_exhausted' });
    expect(refused.body.call_inbound.override_agent_id).toBeUndefined();
    // The refused call never reached voice-agent; the running call's tool call still does.
    const tool = await signed('/api/webhooks/retell/function', { name: 'check_availability', call: running, args: { datum: 'morgen' } });
    expect(tool.body).toMatchObject({ success: true, message: 'ok check_availability' });
    expect(forwarded).toEqual([{ function: 'check_availability', callId: running.call_id }]);

    // 5 € through Stripe Checkout: −0.60 → 4.40 €, under the 10 € threshold but no longer exhausted.
    const topUp = await gw.call('POST', `${billingPath()}/top-ups`, { token: platform, body: { amount: 500, currency: 'EUR' } });
    expect(topUp.status).toBe(201);
    stripe.state.completeCheckout(topUp.body.checkoutSessionId, 'paid');
    await waitFor(async () => (await balance()).balance === 440, { message: 'top-up credited', timeoutMs: 30_000 });
    await waitFor(async () => (await inboundCall()).body.call_inbound.dynamic_variables.call_accepted === 'true', { message: 'calls taken again', timeoutMs: 30_000 });
    expect((await balance()).state).toBe('low');
    const accepted = await inboundCall();
    expect(accepted.body.call_inbound.dynamic_variables.call_refusal_message).toBeUndefined();
    expect(accepted.body.call_inbound.metadata.call_refused).toBeUndefined();

    // The exhausted fact delivered again (a redelivery) changes nothing: it was applied once.
    const [exhausted] = ofCompany(Topics.balanceExhausted.name);
    await publisher.publish(exhausted, Topics.balanceExhausted.name, companyId);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await inboundCall()).body.call_inbound.dynamic_variables.call_accepted).toBe('true');
  });

  it('follows the platform switching refusal off and on while the balance stays exhausted', async () => {
    // 4.40 € − 10 min at 0.60 € = −1.60 €: exhausted and refused again.
    await publisher.publish(publisher.callCompleted(companyId, uniqueName('call_long'), 600));
    await waitFor(async () => (await inboundCall()).body.call_inbound.dynamic_variables.call_accepted === 'false', { message: 'refused again', timeoutMs: 30_000 });
    expect((await balance()).state).toBe('exhausted');

    const off = await gw.call('PATCH', `${billingPath()}/prices`, { token: platform, body: { refuseCallsWhenExhausted: false } });
    expect(off.status).toBe(200);
    await waitFor(async () => (await inboundCall()).body.call_inbound.dynamic_variables.call_accepted === 'true', { message: 'taken while refusal is off', timeoutMs: 30_000 });
    const on = await gw.call('PATCH', `${billingPath()}/prices`, { token: platform, body: { refuseCallsWhenExhausted: true } });
    expect(on.status).toBe(200);
    await waitFor(async () => (await inboundCall()).body.call_inbound.dynamic_variables.call_accepted === 'false', { message: 'refused once refusal is on', timeoutMs: 30_000 });
    expect(ofCompany(Topics.balanceExhausted.name).map((e) => e.data.refuseCalls)).toEqual([true, true, false, true]);
    expect((await balance()).state).toBe('exhausted');
  });
});
