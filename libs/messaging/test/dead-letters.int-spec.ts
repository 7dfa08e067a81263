import type { Kafka } from 'kafkajs';
import { z } from 'zod';
import { DataSource } from 'typeorm';
import { createEnvelope } from '@receptionist/contracts';
import {
  DeadLetters,
  EventConsumer,
  Inbox,
  MessageProducer,
  MessagingRetention1734200000000,
  MessagingTables1732400000000,
  OutboxMessageEntity,
  PermanentMessageError,
  ProcessedMessageEntity,
} from '../src';
import { createTestDatabase, createTopics, deleteTopics, silentLogger, testKafka, uniqueName, waitFor } from '@receptionist/testing';

jest.setTimeout(60000);

const tallySchema = z.object({ account: z.string(), amount: z.number().int() });

describe('dead letters: list and replay (real Kafka + MariaDB)', () => {
  let kafka: Kafka;
  let producer: MessageProducer;
  let topic: string;
  let consumer: EventConsumer;
  let db: { dataSource: DataSource; drop: () => Promise<void> };

  beforeAll(async () => {
    kafka = testKafka();
    topic = uniqueName('test.dlq-replay').replace('_', '-');
    await createTopics(kafka, [{ topic, numPartitions: 2 }, { topic: `${topic}.dlq` }]);
    producer = new MessageProducer(kafka);
    await producer.connect();
    db = await createTestDatabase('dlq', {
      entities: [OutboxMessageEntity, ProcessedMessageEntity],
      migrations: [MessagingTables1732400000000, MessagingRetention1734200000000],
    });
    await db.dataSource.query('CREATE TABLE tally (account VARCHAR(50) PRIMARY KEY, total BIGINT NOT NULL)');
  });

  afterAll(async () => {
    await consumer?.stop();
    await producer.disconnect();
    await db.drop();
    await deleteTopics(kafka, [topic, `${topic}.dlq`]);
  });

  const total = async (account: string) =>
    Number((await db.dataSource.query('SELECT total FROM tally WHERE account = ?', [account]))[0]?.total ?? 0);

  it('lists each dead letter with its reason, and a replay of one applies it once however often it is repeated', async () => {
    const inbox = new Inbox(db.dataSource);
    let accountsRefused = true; // the "bug": fixed before the replay
    const handled: string[] = [];
    consumer = new EventConsumer(kafka, producer, {
      groupId: uniqueName('dlq-group'),
      logger: silentLogger,
      initialBackoffMs: 10,
      subscriptions: [
        {
          topic,
          schema: tallySchema,
          handler: async (env: any) => {
            if (accountsRefused && env.data.account.startsWith('poison')) throw new PermanentMessageError(`account ${env.data.account} refused`);
            await inbox.handleOnce('tally', env, (m) =>
              m.query('INSERT INTO tally VALUES (?, ?) ON DUPLICATE KEY UPDATE total = total + VALUES(total)', [env.data.account, env.data.amount]),
            );
            handled.push(env.id);
          },
        },
      ],
    });
    await consumer.start();
    await consumer.waitUntilReady();

    const first = createEnvelope({ type: topic, source: 'test', companyId: 'c1', subject: 'poison-1', data: { account: 'poison-1', amount: 7 } });
    const second = createEnvelope({ type: topic, source: 'test', companyId: 'c1', subject: 'poison-2', data: { account: 'poison-2', amount: 11 } });
    await producer.publish({ topic, key: 'poison-1', envelope: first });
    await producer.publish({ topic, key: 'poison-2', envelope: second });

    const deadLetters = new DeadLetters(kafka, producer);
    await waitFor(async () => (await deadLetters.list(topic)).length === 2, { message: 'two dead letters', timeoutMs: 30000, intervalMs: 500 });
    const listed = await deadLetters.list(topic);
    expect(listed.map((d) => d.messageId).sort()).toEqual([first.id, second.id].sort());
    const one = listed.find((d) => d.messageId === first.id)!;
    expect(one).toMatchObject({ originalTopic: topic, messageType: topic, reason: 'account poison-1 refused', attempts: 1, error: 'PermanentMessageError' });
    expect(one.originalOffset).toMatch(/^\d+$/);
    expect(await total('poison-1')).toBe(0);

    accountsRefused = false; // the cause is fixed
    expect((await deadLetters.replay(topic, { ids: [first.id] })).map((d) => d.messageId)).toEqual([first.id]);
    expect((await deadLetters.replay(topic, { originalOffsets: [one.originalOffset!] })).map((d) => d.messageId)).toEqual([first.id]);
    await waitFor(() => handled.filter((id) => id === first.id).length === 2, { message: 'both replays consumed' });

    expect(await total('poison-1')).toBe(7); // applied once
    expect(await total('poison-2')).toBe(0); // not selected: untouched
    expect(handled).not.toContain(second.id);
    // Listing commits nothing and replaying removes nothing: the dead-letter topic is the record.
    expect((await deadLetters.list(topic)).length).toBe(2);
    expect(await deadLetters.replay(topic, { ids: ['no-such-id'] })).toEqual([]);
  });
});
