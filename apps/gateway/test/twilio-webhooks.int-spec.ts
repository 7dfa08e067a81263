import { randomBytes } from 'node:crypto';
import { Topics } from '@receptionist/contracts';
import { RunningSimulator, startSimulator, twilioSignature, twilioSimulator, TwilioState } from '@receptionist/simulators';
import { collectMessages, testKafka, uniqueName, waitFor } from '@receptionist/testing';
import { startGateway, TestGateway } from './gateway-app';

jest.setTimeout(60_000);

const SID = `AC${randomBytes(16).toString('hex')}`;
const TOKEN = 'twilio-webhook-test-token';
const PUBLIC_URL = 'https://receptionist.example.com';

/**
 * Twilio's status callbacks and inbound messages through the gateway: the simulator signs them as Twilio does,
 * the gateway checks `X-Twilio-Signature` and forwards them to Kafka; anything unsigned or tampered with is 403 and
 * forwarded nowhere.
 */
describe('gateway: Twilio webhooks', () => {
  let gateway: TestGateway;
  let sim: RunningSimulator<TwilioState>;
  let collector: Awaited<ReturnType<typeof collectMessages>>;

  beforeAll(async () => {
    sim = await startSimulator(twilioSimulator, { port: 0 });
    gateway = await startGateway({ TWILIO_AUTH_TOKEN: TOKEN, APP_URL: PUBLIC_URL });
    collector = await collectMessages(testKafka(), [Topics.twilioMessageStatus.name, Topics.twilioMessageInbound.name], { fromBeginning: false });
  });

  afterAll(async () => {
    await collector?.stop();
    await gateway?.close();
    await sim?.close();
  });

  const forwarded = (topic: string, sid: string) =>
    collector.messages.filter((m) => m.topic === topic).map((m) => JSON.parse(m.value!.toString())).filter((e) => e.data.messageSid === sid);

  async function form(path: string, params: Record<string, string>, signature?: string) {
    const res = await fetch(gateway.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature ? { 'x-twilio-signature': signature } : {}) },
      body: new URLSearchParams(params).toString(),
    });
    return { status: res.status, text: await res.text() };
  }

  it('forwards each status callback of a message sent through the simulator, with our message and company from the signed URL', async () => {
    const companyId = uniqueName('tw');
    const callback = `${gateway.url}/api/webhooks/twilio/status?company=${companyId}&message=msg-1`;
    const res = await fetch(`${sim.url}/2010-04-01/Accounts/${SID}/Messages.json`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ To: '+4917612345678', From: '+4930555000111', Body: 'Hallo', StatusCallback: callback }).toString(),
    });
    expect(res.status).toBe(201);
    const message = (await res.json()) as { sid: string; status: string };
    expect(message.status).toBe('queued');

    await waitFor(() => forwarded(Topics.twilioMessageStatus.name, message.sid).length === 2, { message: 'sent and delivered forwarded' });
    const events = forwarded(Topics.twilioMessageStatus.name, message.sid);
    expect(events.map((e) => e.data.messageStatus).sort()).toEqual(['delivered', 'sent']);
    expect(events[0]).toMatchObject({ source: 'gateway', companyId, data: { accountSid: SID, notificationCompanyId: companyId, notificationMessageId: 'msg-1', to: '+4917612345678', errorCode: null } });
    await sim.state.idle();
    expect(sim.state.callbacks.filter((c) => c.params.MessageSid === message.sid).map((c) => c.responseStatus)).toEqual([204, 204]);
  });

  it('forwards an inbound STOP and answers with empty TwiML', async () => {
    // The simulator knows the account's token once the account has used the API (previous test) — set it explicitly.
    sim.state.accounts.set(SID, TOKEN);
    const res = await fetch(`${sim.url}/__sim/twilio/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+4917699999999', to: '+4930555000111', body: 'STOP', url: `${gateway.url}/api/webhooks/twilio/inbound`, accountSid: SID }),
    });
    const answer = (await res.json()) as { messageSid: string; status: number; body: string };
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
    await waitFor(() => forwarded(Topics.twilioMessageInbound.name, answer.messageSid).length === 1, { message: 'inbound forwarded' });
    expect(forwarded(Topics.twilioMessageInbound.name, answer.messageSid)[0].data).toMatchObject({ from: '+4917699999999', to: '+4930555000111', body: 'STOP' });
  });

  it('accepts a signature over the public URL (APP_URL) behind a proxy', async () => {
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const params = { AccountSid: SID, MessageSid: sid, MessageStatus: 'delivered', To: '+4917612345678', From: '+4930555000111' };
    const signature = twilioSignature(TOKEN, `${PUBLIC_URL}/api/webhooks/twilio/status?company=c1&message=m1`, params);
    expect((await form('/api/webhooks/twilio/status?company=c1&message=m1', params, signature)).status).toBe(204);
    await waitFor(() => forwarded(Topics.twilioMessageStatus.name, sid).length === 1, { message: 'forwarded' });
  });

  it('refuses a missing, wrong or replayed-with-changes signature with 403 and forwards nothing', async () => {
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const params = { AccountSid: SID, MessageSid: sid, MessageStatus: 'delivered', To: '+4917612345678', From: '+4930555000111' };
    const path = '/api/webhooks/twilio/status?company=c1&message=m1';
    const good = twilioSignature(TOKEN, `${PUBLIC_URL}${path}`, params);

    expect((await form(path, params)).status).toBe(403);
    expect((await form(path, params, twilioSignature('another-token', `${PUBLIC_URL}${path}`, params))).status).toBe(403);
    // Same signature, one field changed: Twilio signed "delivered", not "failed".
    expect((await form(path, { ...params, MessageStatus: 'failed' }, good)).status).toBe(403);
    // Same signature, another company in the URL.
    expect((await form('/api/webhooks/twilio/status?company=c2&message=m1', params, good)).status).toBe(403);
    const inbound = { AccountSid: SID, MessageSid: sid, From: '+4917699999999', To: '+4930555000111', Body: 'STOP' };
    expect((await form('/api/webhooks/twilio/inbound', inbound, 'bm90IGEgc2lnbmF0dXJl')).status).toBe(403);

    // A correctly signed copy shows the forwarding works; the refused ones are not on the topic before or after it.
    expect((await form(path, params, good)).status).toBe(204);
    await waitFor(() => forwarded(Topics.twilioMessageStatus.name, sid).length >= 1, { message: 'the signed one' });
    await new Promise((r) => setTimeout(r, 300));
    expect(forwarded(Topics.twilioMessageStatus.name, sid).map((e) => e.data.messageStatus)).toEqual(['delivered']);
    expect(forwarded(Topics.twilioMessageInbound.name, sid)).toHaveLength(0);
  });

  it('a signed callback without the fields Twilio always sends is refused as malformed (400)', async () => {
    const params = { AccountSid: SID, MessageStatus: 'sent' };
    const path = '/api/webhooks/twilio/status';
    const res = await form(path, params, twilioSignature(TOKEN, `${PUBLIC_URL}${path}`, params));
    expect(res.status).toBe(400);
    expect(res.text).toContain('MessageSid');
  });
});
