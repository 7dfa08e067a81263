import type { Kafka } from 'kafkajs';
import { EventConsumer, MessageProducer, RequestClient, RequestResponder, createKafka, ensureTopics } from '../src';
import { PrivateKafka, silentLogger, uniqueName, waitFor } from '@receptionist/testing';
import { createEnvelope } from '@receptionist/contracts';

jest.setTimeout(300_000);

/**
 * Issue 13, defect 0: after a broker outage every consumer (request responders, the requester's reply consumer,
 * event consumers) must come back by itself and report ready again. Fault made for real on a broker of the test's own.
 */
describe('consumers after a broker outage', () => {
  let broker: PrivateKafka;
  let kafka: Kafka;
  const topic = 'test.rpc';
  const events = 'test.events';

  beforeAll(async () => {
    broker = new PrivateKafka();
    await broker.start();
    kafka = createKafka({ brokers: broker.brokers, clientId: uniqueName('restart'), logger: silentLogger });
    await ensureTopics(kafka, [
      { topic, numPartitions: 3 },
      { topic: events, numPartitions: 3 },
    ]);
  });

  afterAll(async () => {
    await broker?.destroy();
  });

  async function scenario(outage: () => Promise<void>) {
    const responder = new RequestResponder(kafka, {
      groupId: uniqueName('responders'),
      topic,
      logger: silentLogger,
      handler: async (env) => ({ echo: (env.data as { n: number }).n }),
    });
    const client = new RequestClient(kafka, { service: 'test', instanceId: uniqueName('i'), logger: silentLogger });
    const producer = new MessageProducer(kafka);
    const seen = new Set<number>();
    const consumer = new EventConsumer(kafka, producer, {
      groupId: uniqueName('events'),
      subscriptions: [{ topic: events, schema: undefined, handler: async (env) => void seen.add((env.data as { n: number }).n) }],
      logger: silentLogger,
    });
    await responder.start();
    await client.start();
    await producer.connect();
    await consumer.start();
    await consumer.waitUntilReady();
    let n = 0;
    const ask = () => client.request<{ n: number }, { echo: number }>(topic, { key: null, companyId: null, subject: null, data: { n: ++n } }, 2000);
    expect(await ask()).toEqual({ echo: 1 });

    // A stream of requests through the outage, as live calls would keep asking.
    let streaming = true;
    const stream = (async () => {
      while (streaming) {
        await ask().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    try {
      await outage();
      // Back within seconds of the broker's return: an answer, every part ready, and events consumed again.
      await waitFor(async () => (await ask().catch(() => null))?.echo, { timeoutMs: 60_000, intervalMs: 500, message: 'an answer after the outage' });
      await waitFor(() => responder.isReady && client.isReady && consumer.isReady, { timeoutMs: 30_000, message: 'readiness after the outage' });
      await waitFor(
        async () => {
          await producer.publish({ topic: events, key: null, envelope: createEnvelope({ type: events, source: 'test', companyId: null, subject: null, data: { n: 1000 + n } }) }).catch(() => undefined);
          return seen.size > 0 && [...seen].some((x) => x > 1000);
        },
        { timeoutMs: 30_000, intervalMs: 1000, message: 'an event consumed after the outage' },
      );
    } finally {
      streaming = false;
      await stream;
      await consumer.stop().catch(() => undefined);
      await client.stop().catch(() => undefined);
      await responder.stop().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
    }
  }

  it('request-reply and event consumers answer again after the broker was stopped for 20 s', async () => {
    await scenario(async () => {
      await broker.stop();
      await new Promise((r) => setTimeout(r, 20_000));
      await broker.start();
    });
  });

  it('request-reply and event consumers answer again after the broker froze for 25 s (sessions expired meanwhile)', async () => {
    // SIGSTOP: the broker neither answers nor closes connections (a long GC pause, a stalled VM, a partition);
    // when it resumes, the members whose session expired meanwhile are out of their groups.
    await scenario(async () => {
      process.kill(broker.pid!, 'SIGSTOP');
      await new Promise((r) => setTimeout(r, 25_000));
      process.kill(broker.pid!, 'SIGCONT');
    });
  });

  it('request-reply and event consumers answer again after a kill -9 of the broker', async () => {
    await scenario(async () => {
      await broker.kill();
      await new Promise((r) => setTimeout(r, 5_000));
      await broker.start();
    });
  });

  it('a requester whose reply topic was lost recreates it and is answered again', async () => {
    const responder = new RequestResponder(kafka, {
      groupId: uniqueName('responders'),
      topic,
      logger: silentLogger,
      handler: async (env) => ({ echo: (env.data as { n: number }).n }),
    });
    const client = new RequestClient(kafka, { service: 'test', instanceId: uniqueName('lost'), logger: silentLogger });
    await responder.start();
    await client.start();
    try {
      const ask = (n: number) => client.request<{ n: number }, { echo: number }>(topic, { key: null, companyId: null, subject: null, data: { n } }, 2000);
      expect(await ask(1)).toEqual({ echo: 1 });
      const admin = kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [client.replyTopic] });
      await admin.disconnect();
      await waitFor(async () => (await ask(2).catch(() => null))?.echo === 2, { timeoutMs: 90_000, intervalMs: 500, message: 'an answer on the recreated reply topic' });
      await waitFor(() => client.isReady, { message: 'the requester ready again' });
    } finally {
      await client.stop().catch(() => undefined);
      await responder.stop().catch(() => undefined);
    }
  });
});
