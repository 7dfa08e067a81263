import type { Kafka } from 'kafkajs';
import { z } from 'zod';
import { DataSource } from 'typeorm';
import { createEnvelope } from '@receptionist/contracts';
import {
  EventConsumer,
  Inbox,
  MessageProducer,
  MessagingRetention1734200000000,
  MessagingTables1732400000000,
  OutboxMessageEntity,
  ProcessedMessageEntity,
  PermanentMessageError,
} from '../src';
import {
  collectMessages,
  createTestDatabase,
  createTopics,
  deleteTopics,
  silentLogger,
  testKafka,
  uniqueName,
  waitFor,
} from '@receptionist/testing';

jest.setTimeout(60000);

const tallySchema = z.object({ account: z.string(), amount: z.number().int() });

describe('event consumer (real Kafka + MariaDB)', () => {
  let kafka: Kafka;
  let producer: MessageProducer;
  let topic: string;
  const consumers: EventConsumer[] = [];

  beforeEach(async () => {
    kafka = testKafka();
    topic = uniqueName('test.consumer').replace('_', '-');
    await createTopics(kafka, [{ topic, numPartitions: 2 }, { topic: `${topic}.dlq` }]);
    producer = new MessageProducer(kafka);
    await producer.connect();
  });

  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.stop();
    await producer.disconnect();
    await deleteTopics(kafka, [topic, `${topic}.dlq`]);
  });

  const send = (data: unknown, id?: string) =>
    producer.publish({
      topic,
      key: 'acct-1',
      envelope: createEnvelope({ id, type: topic, source: 'test', companyId: 'c1', subject: 'acct-1', data }),
    });

  async function start(handler: (env: any) => Promise<void>, extra: Partial<ConstructorParameters<typeof EventConsumer>[2]> = {}) {
    const consumer = new EventConsumer(kafka, producer, {
      groupId: uniqueName('test-group'),
      logger: silentLogger,
      subscriptions: [{ topic, handler, schema: tallySchema }],
      initialBackoffMs: 10,
      ...extra,
    });
    await consumer.start();
    await consumer.waitUntilReady();
    consumers.push(consumer);
    return consumer;
  }

  describe('idempotent handling with the inbox', () => {
    let db: { dataSource: DataSource; drop: () => Promise<void> };
    beforeEach(async () => {
      db = await createTestDatabase('inbox', {
        entities: [OutboxMessageEntity, ProcessedMessageEntity],
        migrations: [MessagingTables1732400000000, MessagingRetention1734200000000],
      });
      await db.dataSource.query('CREATE TABLE tally (account VARCHAR(50) PRIMARY KEY, total BIGINT NOT NULL)');
    });
    afterEach(() => db.drop());

    it('applies a message delivered twice only once', async () => {
      const inbox = new Inbox(db.dataSource);
      let handled = 0;
      await start(async (env) => {
        await inbox.handleOnce('tally', env, (m) =>
          m.query('INSERT INTO tally VALUES (?, ?) ON DUPLICATE KEY UPDATE total = total + VALUES(total)', [env.data.account, env.data.amount]),
        );
        handled++; // counted once the effect (or its skip) is committed
      });
      const id = '3f1d2c4b-5a69-4f7e-8d9c-0b1a2c3d4e5f';
      await send({ account: 'a', amount: 7 }, id);
      await send({ account: 'a', amount: 7 }, id); // redelivery: same envelope id
      await send({ account: 'a', amount: 5 });
      await waitFor(() => handled >= 3, { message: 'three deliveries' });
      const [row] = await db.dataSource.query('SELECT total FROM tally WHERE account = ?', ['a']);
      expect(Number(row.total)).toBe(12);
      expect(await inbox.seen('tally', id)).toBe(true);
    });

    it('rolls back the effect when the handler fails, and applies it on the retry', async () => {
      const inbox = new Inbox(db.dataSource);
      let attempts = 0;
      await start(async (env) => {
        await inbox.handleOnce('tally', env, async (m) => {
          await m.query('INSERT INTO tally VALUES (?, ?) ON DUPLICATE KEY UPDATE total = total + VALUES(total)', [env.data.account, env.data.amount]);
          if (++attempts < 3) throw new Error('transient failure after the write');
        });
      });
      await send({ account: 'b', amount: 10 });
      await waitFor(() => attempts >= 3, { message: 'three attempts' });
      await new Promise((r) => setTimeout(r, 200));
      const [row] = await db.dataSource.query('SELECT total FROM tally WHERE account = ?', ['b']);
      expect(Number(row.total)).toBe(10);
    });
  });

  it('dead-letters a message that keeps failing, with its error and headers, and moves on', async () => {
    const dlq = await collectMessages(kafka, [`${topic}.dlq`]);
    const seen: number[] = [];
    await start(
      async (env) => {
        if (env.data.amount === 13) throw new Error('unlucky amount');
        seen.push(env.data.amount);
      },
      { maxAttempts: 3 },
    );
    await send({ account: 'a', amount: 13 });
    await send({ account: 'a', amount: 14 }); // same key, same partition: must not be blocked forever
    await waitFor(() => seen.includes(14), { message: 'the next message on the partition' });
    await waitFor(() => dlq.messages.length === 1, { message: 'one dead letter' });
    const dead = dlq.messages[0];
    const h = (k: string) => dead.headers?.[k]?.toString();
    expect(JSON.parse(dead.value!.toString()).data).toEqual({ account: 'a', amount: 13 });
    expect(h('kafka_dlt-original-topic')).toBe(topic);
    expect(h('kafka_dlt-exception-message')).toBe('unlucky amount');
    expect(h('kafka_dlt-attempts')).toBe('3');
    expect(h('message-id')).toBeDefined();
    expect(seen).toEqual([14]);
    await dlq.stop();
  });

  it('dead-letters malformed and permanently failing messages at once, without retrying', async () => {
    const dlq = await collectMessages(kafka, [`${topic}.dlq`]);
    let calls = 0;
    await start(async (env) => {
      calls++;
      if (env.data.amount < 0) throw new PermanentMessageError('negative amount');
    });
    await producer.sendRaw(topic, [{ key: 'x', value: 'not json' }]);
    await send({ account: 'a', amount: 'ten' }); // schema violation
    await send({ account: 'a', amount: -1 });
    await waitFor(() => dlq.messages.length === 3, { message: 'three dead letters' });
    const reasons = dlq.messages.map((m) => m.headers?.['kafka_dlt-exception-message']?.toString());
    expect(reasons[0]).toBe('message value is not JSON');
    expect(reasons[1]).toMatch(/invalid .* data at data.amount/);
    expect(reasons[2]).toBe('negative amount');
    expect(calls).toBe(1);
    await dlq.stop();
  });
});
