import type { Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DataSource } from 'typeorm';
import { createEnvelope, Envelope } from '@receptionist/contracts';
import { EventConsumer, Inbox, MessageProducer, MessagingRetention1734200000000, MessagingTables1732400000000, OutboxMessageEntity, ProcessedMessageEntity, Subscription } from '../src';
import { collectMessages, createTestDatabase, createTopics, deleteTopics, silentLogger, testKafka, uniqueName, waitFor } from '@receptionist/testing';

jest.setTimeout(60000);

const tallySchema = z.object({ account: z.string(), amount: z.number().int() });
type Tally = z.infer<typeof tallySchema>;

/** Batch handlers (kafkajs eachBatch): one transaction per batch, exactly once, a poison message costs one batch attempt. */
describe('event consumer with a batch handler (real Kafka + MariaDB)', () => {
  let kafka: Kafka;
  let producer: MessageProducer;
  let topic: string;
  let other: string;
  let db: { dataSource: DataSource; drop: () => Promise<void> };
  let inbox: Inbox;
  const consumers: EventConsumer[] = [];

  beforeEach(async () => {
    kafka = testKafka();
    topic = uniqueName('test.batch').replace('_', '-');
    other = `${topic}-other`;
    await createTopics(kafka, [{ topic, numPartitions: 2 }, { topic: `${topic}.dlq` }, { topic: other }, { topic: `${other}.dlq` }]);
    producer = new MessageProducer(kafka);
    await producer.connect();
    db = await createTestDatabase('batch', { entities: [OutboxMessageEntity, ProcessedMessageEntity], migrations: [MessagingTables1732400000000, MessagingRetention1734200000000] });
    await db.dataSource.query('CREATE TABLE tally (account VARCHAR(50) PRIMARY KEY, total BIGINT NOT NULL, entries INT NOT NULL)');
    inbox = new Inbox(db.dataSource);
  });

  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.stop();
    await producer.disconnect();
    await deleteTopics(kafka, [topic, `${topic}.dlq`, other, `${other}.dlq`]);
    await db.drop();
  });

  const envelope = (data: unknown, id = randomUUID()) => createEnvelope({ id, type: topic, source: 'test', companyId: 'c1', subject: 'x', data });
  const sendAll = (items: { key: string; envelope: Envelope }[]) =>
    Promise.all(items.map((i) => producer.publish({ topic, key: i.key, envelope: i.envelope })));

  const add = (m: { query: (sql: string, p: unknown[]) => Promise<unknown> }, t: Tally) =>
    m.query('INSERT INTO tally VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE total = total + VALUES(total), entries = entries + 1', [t.account, t.amount]);

  async function start(subscriptions: Subscription<any>[], extra: Partial<ConstructorParameters<typeof EventConsumer>[2]> = {}) {
    const consumer = new EventConsumer(kafka, producer, { groupId: uniqueName('batch-group'), logger: silentLogger, subscriptions, initialBackoffMs: 10, ...extra });
    await consumer.start();
    await consumer.waitUntilReady();
    consumers.push(consumer);
    return consumer;
  }

  const total = async (account: string) => {
    const [row] = await db.dataSource.query('SELECT total, entries FROM tally WHERE account = ?', [account]);
    return row ? { total: Number(row.total), entries: Number(row.entries) } : null;
  };

  it('applies a backlog in batches of at most maxBatchSize, in partition order, each message once despite redeliveries', async () => {
    const items = Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 7}`, envelope: envelope({ account: `a${i % 7}`, amount: i + 1 }) }));
    // Every message twice (a redelivery carries the same envelope id), some within one batch, some in later ones.
    await sendAll([...items, ...items.slice(0, 150)]);
    await sendAll(items.slice(150));
    const sizes: number[] = [];
    const order = new Map<string, number[]>();
    let single = 0;
    await start([
      {
        topic,
        schema: tallySchema,
        maxBatchSize: 64,
        handler: async (env: Envelope<Tally>) => {
          single++;
          await inbox.handleOnce('tally', env, (m) => add(m, env.data));
        },
        batchHandler: async (envs: Envelope<Tally>[], ctx) => {
          sizes.push(envs.length);
          for (const e of envs) order.set(`${ctx.partition}:${e.data.account}`, [...(order.get(`${ctx.partition}:${e.data.account}`) ?? []), e.data.amount]);
          await inbox.handleBatchOnce('tally', envs, async (m, fresh) => {
            for (const e of fresh) await add(m, e.data);
          });
        },
      },
    ]);
    const expected = (k: number) => items.filter((_, i) => i % 7 === k).reduce((s, it) => s + (it.envelope.data as Tally).amount, 0);
    await waitFor(async () => (await total('a6'))?.total === expected(6) && (await total('a0'))?.total === expected(0), { message: 'all applied', timeoutMs: 30000 });
    await new Promise((r) => setTimeout(r, 300));
    for (let k = 0; k < 7; k++) expect(await total(`a${k}`)).toEqual({ total: expected(k), entries: items.filter((_, i) => i % 7 === k).length });
    expect(single).toBe(0);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    // Within one key (one partition) the first deliveries arrive in the order produced.
    for (const amounts of order.values()) {
      const firsts = amounts.filter((a, i) => amounts.indexOf(a) === i);
      expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    }
  });

  it('falls back to one by one for a failing batch: the poison message is dead-lettered, the others applied once', async () => {
    const dlq = await collectMessages(kafka, [`${topic}.dlq`]);
    const items = Array.from({ length: 40 }, (_, i) => ({ key: 'same', envelope: envelope({ account: 'p', amount: i === 17 ? 13 : 1 }) }));
    items.push({ key: 'same', envelope: envelope({ account: 'p', wrong: true }) }); // malformed: straight to the DLQ
    for (const it of items) await producer.publish({ topic, key: it.key, envelope: it.envelope });
    let batchCalls = 0;
    let singles = 0;
    await start(
      [
        {
          topic,
          schema: tallySchema,
          handler: async (env: Envelope<Tally>) => {
            singles++;
            await inbox.handleOnce('tally', env, async (m) => {
              await add(m, env.data);
              if (env.data.amount === 13) throw new Error('unlucky amount');
            });
          },
          batchHandler: async (envs: Envelope<Tally>[]) => {
            batchCalls++;
            await inbox.handleBatchOnce('tally', envs, async (m, fresh) => {
              for (const e of fresh) {
                await add(m, e.data);
                if (e.data.amount === 13) throw new Error('unlucky amount');
              }
            });
          },
        },
      ],
      { maxAttempts: 2 },
    );
    await waitFor(() => dlq.messages.length === 2, { message: 'two dead letters', timeoutMs: 30000 });
    await waitFor(async () => (await total('p'))?.total === 39, { message: 'the other 39 applied' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await total('p')).toEqual({ total: 39, entries: 39 });
    expect(batchCalls).toBeGreaterThanOrEqual(1);
    expect(singles).toBeGreaterThan(0);
    const reasons = dlq.messages.map((m) => m.headers?.['kafka_dlt-exception-message']?.toString() ?? '');
    expect(reasons.some((r) => r === 'unlucky amount')).toBe(true);
    expect(reasons.some((r) => r.startsWith(`invalid ${topic} data`))).toBe(true);
    expect(dlq.messages.find((m) => m.headers?.['kafka_dlt-exception-message']?.toString() === 'unlucky amount')?.headers?.['kafka_dlt-attempts']?.toString()).toBe('2');
    await dlq.stop();
  });

  it('still handles topics without a batch handler message by message in batch mode', async () => {
    const seen: number[] = [];
    await start([
      { topic, schema: tallySchema, handler: async () => undefined, batchHandler: async () => undefined },
      { topic: other, schema: tallySchema, handler: async (env: Envelope<Tally>) => void seen.push(env.data.amount) },
    ]);
    for (let i = 1; i <= 5; i++) {
      await producer.publish({ topic: other, key: 'k', envelope: createEnvelope({ type: other, source: 'test', companyId: 'c1', subject: 'x', data: { account: 'o', amount: i } }) });
    }
    await waitFor(() => seen.length === 5, { message: 'five messages of the other topic' });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });
});
