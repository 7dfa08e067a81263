import { Topics } from '@receptionist/contracts';
import { RunningSimulator, StripeState, signStripePayload, startSimulator, stripeSimulator } from '@receptionist/simulators';
import { collectMessages, testKafka, waitFor } from '@receptionist/testing';
import { envelopeIdFor } from '../src/webhooks/stripe/stripe-webhook.controller';
import { signStripe, verifyStripeSignature } from '../src/webhooks/stripe/stripe-signature';
import { startGateway, TestGateway } from './gateway-app';

jest.setTimeout(60_000);

const SECRET = 'whsec_gateway_test';
let gateway: TestGateway;
let stripe: RunningSimulator<StripeState>;
let collector: Awaited<ReturnType<typeof collectMessages>>;

const forwarded = (eventId: string) => collector.messages.filter((m) => JSON.parse(m.value!.toString()).subject === eventId);

async function post(body: string, signature?: string) {
  const res = await fetch(`${gateway.url}/api/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...(signature ? { 'stripe-signature': signature } : {}) },
    body,
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

const eventBody = (id: string) =>
  JSON.stringify({ id, object: 'event', type: 'payment_intent.succeeded', created: Math.floor(Date.now() / 1000), livemode: false, data: { object: { id: 'pi_x', object: 'payment_intent', customer: 'cus_x', metadata: {} } } }, null, 2);

beforeAll(async () => {
  gateway = await startGateway({ STRIPE_WEBHOOK_SECRET: `whsec_old,${SECRET}` });
  process.env.SIM_STRIPE_WEBHOOK_URL = `${gateway.url}/api/webhooks/stripe`;
  process.env.SIM_STRIPE_WEBHOOK_SECRET = SECRET;
  stripe = await startSimulator(stripeSimulator, { port: 0 });
  delete process.env.SIM_STRIPE_WEBHOOK_URL;
  delete process.env.SIM_STRIPE_WEBHOOK_SECRET;
  collector = await collectMessages(testKafka(), [Topics.stripeEventReceived.name], { fromBeginning: false });
});

afterAll(async () => {
  await collector?.stop();
  await stripe?.close();
  await gateway?.close();
});

describe('Stripe-Signature', () => {
  it('accepts what Stripe signs and refuses a wrong secret, a changed body or an old timestamp', () => {
    const body = Buffer.from(eventBody('evt_sig'));
    const now = 1_800_000_000;
    expect(verifyStripeSignature(body, signStripePayload(body.toString(), SECRET, now), [SECRET], now)).toBe('ok');
    expect(verifyStripeSignature(body, signStripe(body, SECRET, now), ['whsec_other', SECRET], now)).toBe('ok');
    expect(verifyStripeSignature(body, signStripe(body, 'whsec_other', now), [SECRET], now)).toBe('mismatch');
    expect(verifyStripeSignature(Buffer.from(body.toString() + ' '), signStripe(body, SECRET, now), [SECRET], now)).toBe('mismatch');
    expect(verifyStripeSignature(body, signStripe(body, SECRET, now - 301), [SECRET], now)).toBe('stale');
    expect(verifyStripeSignature(body, `t=${now},v0=abc`, [SECRET], now)).toBe('malformed');
    expect(verifyStripeSignature(body, undefined, [SECRET], now)).toBe('missing');
    // Several v1 values (secret rotation on Stripe's side): one match is enough.
    const good = signStripe(body, SECRET, now).split(',')[1];
    expect(verifyStripeSignature(body, `t=${now},v1=${'0'.repeat(64)},${good}`, [SECRET], now)).toBe('ok');
  });
});

describe('POST /api/webhooks/stripe', () => {
  it('puts a webhook signed by the simulator on Kafka before acknowledging, and acknowledges redeliveries without forwarding again', async () => {
    const customer = await fetch(`${stripe.url}/v1/customers`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk_test_gateway', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'metadata[company_id]=c1',
    }).then((r) => r.json() as Promise<any>);
    const session = await fetch(`${stripe.url}/v1/checkout/sessions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk_test_gateway', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        mode: 'payment',
        customer: customer.id,
        success_url: 'https://example.com/ok',
        'line_items[0][quantity]': '1',
        'line_items[0][price_data][currency]': 'eur',
        'line_items[0][price_data][unit_amount]': '5000',
        'line_items[0][price_data][product_data][name]': 'Top-up',
      }).toString(),
    }).then((r) => r.json() as Promise<any>);
    stripe.state.completeCheckout(session.id);
    await stripe.state.flushWebhooks();
    const completed = stripe.state.events.find((e) => e.type === 'checkout.session.completed')!;
    expect(stripe.state.deliveries.filter((d) => d.eventId === completed.id).map((d) => d.statusCode)).toEqual([200]);
    const [message] = await waitFor(() => (forwarded(completed.id).length ? forwarded(completed.id) : null), { message: 'forwarded event' });
    const envelope = JSON.parse(message.value!.toString());
    expect(envelope.id).toBe(envelopeIdFor(completed.id));
    expect(message.key?.toString()).toBe(customer.id);
    expect(envelope.data).toMatchObject({ eventId: completed.id, type: 'checkout.session.completed', customerId: customer.id, objectId: session.id });
    expect(envelope.data.event.data.object.payment_status).toBe('paid');

    stripe.state.resend(completed.id, 2);
    await stripe.state.flushWebhooks();
    expect(stripe.state.deliveries.filter((d) => d.eventId === completed.id).map((d) => d.statusCode)).toEqual([200, 200, 200]);
    await new Promise((r) => setTimeout(r, 500));
    expect(forwarded(completed.id)).toHaveLength(1);
  });

  it('answers 401 to a bad, missing or stale signature and forwards nothing', async () => {
    const id = `evt_bad${Date.now()}`;
    const body = eventBody(id);
    expect((await post(body, signStripe(body, 'whsec_wrong'))).status).toBe(401);
    expect((await post(body)).status).toBe(401);
    expect((await post(body, signStripe(body, SECRET, Math.floor(Date.now() / 1000) - 301))).status).toBe(401);
    expect((await post(body.replace('pi_x', 'pi_y'), signStripe(body, SECRET))).status).toBe(401);
    // The same body correctly signed goes through: the refusals above were about the signature only.
    expect((await post(body, signStripe(body, SECRET))).status).toBe(200);
    await waitFor(() => forwarded(id).length === 1, { message: 'the good one' });
    await new Promise((r) => setTimeout(r, 300));
    expect(forwarded(id)).toHaveLength(1);
  });

  it('refuses a correctly signed body that is not a Stripe event', async () => {
    const body = JSON.stringify({ hello: 'world' });
    const res = await post(body, signStripe(body, SECRET));
    expect(res.status).toBe(400);
  });
});
