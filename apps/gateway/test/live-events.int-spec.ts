import { Kafka, Producer } from 'kafkajs';
import { createEnvelope, Topics } from '@receptionist/contracts';
import { ensureTopics } from '@receptionist/messaging';
import { PrivateKafka, testKafkaOn, waitFor } from '@receptionist/testing';
import { createTestTenant, startGateway, TestGateway, TestTenant } from './gateway-app';

jest.setTimeout(180000);

const ADMIN = { email: 'root@live.test', password: 'live events admin password' };

/** Reads a server-sent event stream with the token in the header, as the console does. */
async function openStream(url: string, token: string) {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  const events: { event: string; data: any }[] = [];
  let buffer = '';
  const reading = (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      }
    } catch {
      // aborted
    }
  })();
  return { res, events, reading, close: async () => (controller.abort(), await reading) };
}

/**
 * Live updates on a broker of this test's own (the hub reads every company's facts: on the shared broker it would
 * see other tests' traffic, and this test's facts would reach other tests' consumers).
 */
describe('live events for the console (server-sent events from Kafka facts)', () => {
  const kafka = new PrivateKafka();
  let client: Kafka;
  let producer: Producer;
  let gw: TestGateway;
  let A: TestTenant;
  let B: TestTenant;

  beforeAll(async () => {
    await kafka.start();
    client = testKafkaOn(kafka.brokers);
    await ensureTopics(client);
    producer = client.producer();
    await producer.connect();
    gw = await startGateway({ KAFKA_BROKERS: kafka.brokers.join(','), PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password });
    const platform = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
    A = await createTestTenant(gw, platform, 'Live A');
    B = await createTestTenant(gw, platform, 'Live B');
  });
  afterAll(async () => {
    await producer?.disconnect();
    await gw?.close();
    await kafka.destroy();
  });

  /** A valid call.started fact of `companyId`; one key, so the facts keep their order on one partition. */
  const callStarted = (companyId: string, callId: string) =>
    producer.send({
      topic: Topics.callStarted.name,
      messages: [
        {
          key: 'live-test',
          value: JSON.stringify(
            createEnvelope({ type: Topics.callStarted.name, source: 'voice-agent', companyId, subject: callId, data: { callId, agentId: 'agent_live', fromNumber: '+4930123456', toNumber: '+4930654321', direction: 'inbound', startedAt: new Date().toISOString() } }),
          ),
        },
      ],
    });

  it("streams the company's own facts as they happen, never another company's, and nothing of their data", async () => {
    const stream = await openStream(`${gw.url}/api/v1/companies/${A.companyId}/live`, A.admin);
    try {
      expect(stream.res.status).toBe(200);
      expect(stream.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      // the hub joins its group from the end of the topics: keep telling until it listens
      let n = 0;
      await waitFor(async () => {
        await callStarted(A.companyId, `warm-${n++}`);
        return stream.events.length > 0;
      }, { timeoutMs: 60000, intervalMs: 1000, message: 'the first live event' });
      await callStarted(B.companyId, 'call-of-b');
      await callStarted(A.companyId, 'call-of-a');
      await waitFor(() => stream.events.some((e) => e.data.subject === 'call-of-a'), { timeoutMs: 20000, message: "A's call" });
      expect(stream.events.map((e) => e.data.subject)).not.toContain('call-of-b');
      const last = stream.events.find((e) => e.data.subject === 'call-of-a')!;
      expect(last.event).toBe('call.started');
      expect(Object.keys(last.data).sort()).toEqual(['subject', 'time', 'type']);
    } finally {
      await stream.close();
    }
  });

  it("answers another company's stream as not found, and a token-less one as unauthorised", async () => {
    const foreign = await fetch(`${gw.url}/api/v1/companies/${B.companyId}/live`, { headers: { authorization: `Bearer ${A.admin}` } });
    expect(foreign.status).toBe(404);
    expect((await fetch(`${gw.url}/api/v1/companies/${A.companyId}/live`)).status).toBe(401);
  });

  it('ends open streams when the gateway shuts down, so it never waits on a browser', async () => {
    const stream = await openStream(`${gw.url}/api/v1/companies/${A.companyId}/live`, A.admin);
    expect(stream.res.status).toBe(200);
    await gw.close();
    gw = undefined as never;
    // the server ended the stream: the reader is done without the client hanging up
    await stream.reading;
  });
});
