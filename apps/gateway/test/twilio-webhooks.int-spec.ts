import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Topics } from '@receptionist/contracts';
import { RunningSimulator, startSimulator, twilioSignature, twilioSimulator, TwilioState } from '@receptionist/simulators';
import { collectMessages, testKafka, uniqueName, waitFor } from '@receptionist/testing';
import { freePort, startGateway, TestGateway } from './gateway-app';

jest.setTimeout(60_000);

const SID = `AC${randomBytes(16).toString('hex')}`;
const TOKEN = 'twilio-webhook-test-token';

/**
 * Twilio's status callbacks and inbound messages through the gateway: the simulator signs them as Twilio does,
 * the gateway checks `X-Twilio-Signature` over its configured public URL and forwards them to Kafka once per
 * MessageSid (and status); anything unsigned or tampered with is 403 and forwarded nowhere.
 */
describe('gateway: Twilio webhooks', () => {
  let gateway: TestGateway;
  let sim: RunningSimulator<TwilioState>;
  let collector: Awaited<ReturnType<typeof collectMessages>>;
  /** The gateway's public URL as configured (here the address it listens on, so the simulator can reach it). */
  let PUBLIC_URL: string;

  beforeAll(async () => {
    sim = await startSimulator(twilioSimulator, { port: 0 });
    const port = await freePort();
    PUBLIC_URL = `http://127.0.0.1:${port}`;
    gateway = await startGateway({ TWILIO_AUTH_TOKEN: TOKEN, APP_URL: PUBLIC_URL }, { port });
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

  /** A POST with a Host header of the sender's choosing (fetch would not send one). */
  function postWithHost(path: string, host: string, params: Record<string, string>, signature: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const body = new URLSearchParams(params).toString();
      const req = http.request(
        `${gateway.url}${path}`,
        { method: 'POST', headers: { host, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'x-twilio-signature': signature } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('checks the signature against the configured public URL, whatever Host the request names', async () => {
    const path = '/api/webhooks/twilio/status?company=c1&message=m1';
    const params = (sid: string) => ({ AccountSid: SID, MessageSid: sid, MessageStatus: 'delivered', To: '+4917612345678', From: '+4930555000111' });
    // Behind a proxy the gateway sees another Host; the public URL Twilio signed is what counts.
    const behindProxy = `SM${randomBytes(16).toString('hex')}`;
    expect(await postWithHost(path, 'gateway.internal:8080', params(behindProxy), twilioSignature(TOKEN, `${PUBLIC_URL}${path}`, params(behindProxy)))).toBe(204);
    await waitFor(() => forwarded(Topics.twilioMessageStatus.name, behindProxy).length === 1, { message: 'forwarded' });
    // A request signed for another address (captured there, or made up) does not pass by naming that address as Host.
    const elsewhere = `SM${randomBytes(16).toString('hex')}`;
    expect(await postWithHost(path, 'attacker.example', params(elsewhere), twilioSignature(TOKEN, `http://attacker.example${path}`, params(elsewhere)))).toBe(403);
    expect(await postWithHost(path, 'attacker.example', params(elsewhere), twilioSignature(TOKEN, `https://attacker.example${path}`, params(elsewhere)))).toBe(403);
    await new Promise((r) => setTimeout(r, 300));
    expect(forwarded(Topics.twilioMessageStatus.name, elsewhere)).toHaveLength(0);
  });

  it('a redelivered status callback or inbound message is acknowledged again but forwarded once (envelope id from MessageSid and status)', async () => {
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const path = '/api/webhooks/twilio/status?company=c1&message=m1';
    const sent = { AccountSid: SID, MessageSid: sid, MessageStatus: 'sent', To: '+4917612345678', From: '+4930555000111' };
    const delivered = { ...sent, MessageStatus: 'delivered' };
    const sign = (p: Record<string, string>) => twilioSignature(TOKEN, `${PUBLIC_URL}${path}`, p);
    for (const p of [sent, delivered, sent, delivered]) expect((await form(path, p, sign(p))).status).toBe(204);
    const inboundSid = `SM${randomBytes(16).toString('hex')}`;
    const inbound = { AccountSid: SID, MessageSid: inboundSid, From: '+4917699999998', To: '+4930555000111', Body: 'START' };
    const inboundSignature = twilioSignature(TOKEN, `${PUBLIC_URL}/api/webhooks/twilio/inbound`, inbound);
    for (let i = 0; i < 2; i++) expect((await form('/api/webhooks/twilio/inbound', inbound, inboundSignature)).status).toBe(200);

    // A marker sent after them: once it is on the topic, so would any second copy be.
    const marker = `SM${randomBytes(16).toString('hex')}`;
    const markerParams = { ...sent, MessageSid: marker };
    expect((await form(path, markerParams, sign(markerParams))).status).toBe(204);
    await waitFor(() => forwarded(Topics.twilioMessageStatus.name, marker).length === 1, { message: 'marker forwarded' });
    await waitFor(() => forwarded(Topics.twilioMessageInbound.name, inboundSid).length >= 1, { message: 'inbound forwarded' });
    expect(forwarded(Topics.twilioMessageStatus.name, sid).map((e) => e.data.messageStatus)).toEqual(['sent', 'delivered']);
    expect(forwarded(Topics.twilioMessageInbound.name, inboundSid)).toHaveLength(1);
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
