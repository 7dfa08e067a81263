import type { Kafka } from 'kafkajs';
import {
  NO_REPLY,
  RemoteHandlerError,
  RequestClient,
  RequestResponder,
  RequestTimeoutError,
} from '../src';
import { createTopics, deleteTopics, silentLogger, testKafka, uniqueName } from '@receptionist/testing';

jest.setTimeout(60000);

describe('request-reply over Kafka', () => {
  let kafka: Kafka;
  let topic: string;
  let client: RequestClient;
  let responder: RequestResponder | undefined;

  beforeEach(async () => {
    kafka = testKafka();
    topic = uniqueName('test.rpc').replace('_', '-');
    await createTopics(kafka, [{ topic, numPartitions: 3 }]);
    client = new RequestClient(kafka, { service: 'test', instanceId: uniqueName('i'), logger: silentLogger, deleteReplyTopicOnStop: true });
    await client.start();
  });

  afterEach(async () => {
    await responder?.stop();
    responder = undefined;
    await client.stop();
    await deleteTopics(kafka, [topic]);
  });

  it('answers within the deadline, concurrently and matched by correlation id', async () => {
    responder = new RequestResponder(kafka, {
      groupId: uniqueName('responders'),
      topic,
      logger: silentLogger,
      handler: async (env) => {
        const { n, delay } = env.data as { n: number; delay: number };
        await new Promise((r) => setTimeout(r, delay));
        return { doubled: n * 2 };
      },
    });
    await responder.start();
    // a slow request does not hold up the fast ones behind it
    const started = Date.now();
    const results = await Promise.all(
      [0, 1, 2, 3, 4].map((n) =>
        client.request<{ n: number; delay: number }, { doubled: number }>(topic, { key: `call-${n}`, companyId: 'c1', subject: null, data: { n, delay: n === 0 ? 1500 : 10 } }, 5000),
      ),
    );
    expect(results).toEqual([0, 2, 4, 6, 8].map((doubled) => ({ doubled })));
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('surfaces a handler error as RemoteHandlerError with its code', async () => {
    responder = new RequestResponder(kafka, {
      groupId: uniqueName('responders'),
      topic,
      logger: silentLogger,
      handler: async () => {
        throw Object.assign(new Error('calendar unreachable'), { code: 'calendar_down' });
      },
    });
    await responder.start();
    const error: any = await client.request(topic, { key: null, companyId: null, subject: null, data: {} }, 5000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteHandlerError);
    expect(error.code).toBe('calendar_down');
  });

  it('rejects with the typed timeout error at the deadline when nobody answers', async () => {
    const started = Date.now();
    const error: any = await client.request(topic, { key: null, companyId: null, subject: null, data: {} }, 300).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error.timeoutMs).toBe(300);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1500);
  });

  it("sends nothing for another instance's requests (NO_REPLY) and still answers its own", async () => {
    responder = new RequestResponder(kafka, {
      groupId: uniqueName('responders'),
      topic,
      logger: silentLogger,
      maxInFlight: 2,
      handler: async (env) => (env.companyId === 'theirs' ? NO_REPLY : { answeredFor: env.companyId }),
    });
    await responder.start();
    const ask = (companyId: string, timeoutMs: number) =>
      client.request<unknown, { answeredFor: string }>(topic, { key: companyId, companyId, subject: null, data: {} }, timeoutMs);
    // More of another instance's requests than places in flight, sent before ours.
    const theirs = Array.from({ length: 10 }, () => ask('theirs', 3_000).catch((e: unknown) => e));
    const ours = Array.from({ length: 3 }, () => ask('ours', 8_000));
    expect(await Promise.all(ours)).toEqual([0, 1, 2].map(() => ({ answeredFor: 'ours' })));
    const unanswered = await Promise.all(theirs);
    expect(unanswered.every((e) => e instanceof RequestTimeoutError)).toBe(true);
  });

  it('keeps answering after a requester left and its reply topic was deleted', async () => {
    responder = new RequestResponder(kafka, {
      groupId: uniqueName('responders'),
      topic,
      logger: silentLogger,
      handler: async (env) => ({ echo: (env.data as { n: number }).n }),
    });
    await responder.start();
    const ask = (c: RequestClient, n: number) => c.request<{ n: number }, { echo: number }>(topic, { key: null, companyId: null, subject: null, data: { n } }, 5000);
    const leaving = new RequestClient(kafka, { service: 'test', instanceId: uniqueName('gone'), logger: silentLogger, deleteReplyTopicOnStop: true });
    await leaving.start();
    expect(await ask(leaving, 1)).toEqual({ echo: 1 });
    await leaving.stop(); // its reply topic is deleted; the responder's producer had sent to it
    // kafkajs would keep asking for the deleted topic's metadata and fail every later send
    expect(await ask(client, 2)).toEqual({ echo: 2 });
    const next = new RequestClient(kafka, { service: 'test', instanceId: uniqueName('next'), logger: silentLogger, deleteReplyTopicOnStop: true });
    await next.start();
    try {
      expect(await ask(next, 3)).toEqual({ echo: 3 });
    } finally {
      await next.stop();
    }
  });
});
