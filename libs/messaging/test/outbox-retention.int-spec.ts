import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import {
  MessagingRetention,
  MessagingRetention1734200000000,
  MessagingTables1732400000000,
  Outbox,
  OutboxMessageEntity,
  OutboxRelay,
  ProcessedMessageEntity,
} from '../src';
import { collectMessages, createTestDatabase, createTopics, deleteTopics, silentLogger, testKafka, uniqueName, waitFor } from '@receptionist/testing';

jest.setTimeout(120_000);

describe('outbox rows Kafka refuses, and the tables kept bounded (issue 13, defects 9 and 10)', () => {
  let kafka: Kafka;
  let db: { dataSource: DataSource; database: string; drop: () => Promise<void> };
  let topic: string;

  beforeEach(async () => {
    kafka = testKafka();
    topic = uniqueName('test.parking').replace('_', '-');
    await createTopics(kafka, [{ topic, numPartitions: 1 }]);
    db = await createTestDatabase('retention', {
      entities: [OutboxMessageEntity, ProcessedMessageEntity],
      migrations: [MessagingTables1732400000000, MessagingRetention1734200000000],
    });
  });

  afterEach(async () => {
    await db.drop();
    await deleteTopics(kafka, [topic]);
  });

  it('publishes the good rows around a row for a missing topic and an oversized row, and parks those two with their reasons', async () => {
    const outbox = new Outbox(db.dataSource, 'test');
    const collector = await collectMessages(kafka, [topic]);
    const add = (target: string, data: unknown) => outbox.transaction((_m, publish) => publish({ topic: target, key: 'k', companyId: null, subject: null, data }));
    await add(topic, { seq: 1 });
    const lost = await add(`${topic}.missing`, { seq: 2 });
    await add(topic, { seq: 3 });
    // Over the broker's 1 MB message limit.
    const huge = await add(topic, { seq: 4, blob: 'x'.repeat(1_200_000) });
    await add(topic, { seq: 5 });
    const relay = new OutboxRelay(kafka, db.dataSource, { service: 'test', logger: silentLogger, pollMs: 50 });
    relay.start();
    try {
      await waitFor(() => collector.messages.length >= 3, { timeoutMs: 60_000, message: 'the three good rows' });
      const seqs = collector.messages.map((m) => JSON.parse(m.value!.toString()).data.seq);
      expect(seqs).toEqual([1, 3, 5]);
      const parked: { message_id: string; park_reason: string }[] = await db.dataSource.query(
        'SELECT message_id, park_reason FROM outbox_message WHERE parked_at IS NOT NULL ORDER BY id',
      );
      expect(parked.map((p) => p.message_id)).toEqual([lost.id, huge.id]);
      expect(parked[0].park_reason).toMatch(/^unknown_topic: .*\.missing does not exist/);
      expect(parked[1].park_reason).toMatch(/^too_large: /);
      expect(await relay.backlog()).toBe(0);
      // The relay goes on with what comes next.
      await add(topic, { seq: 6 });
      await waitFor(() => collector.messages.length >= 4, { message: 'a row written after the parked ones' });
    } finally {
      await relay.stop({ flush: false });
      await collector.stop();
    }
  });

  it('pruning removes only published outbox rows and processed-message records past their retention', async () => {
    const ds = db.dataSource;
    const day = 86_400_000;
    const now = Date.now();
    const at = (ms: number) => new Date(now - ms);
    const row = (id: string, publishedAt: Date | null, parkedAt: Date | null = null) => ({
      messageId: id.padEnd(36, '0'),
      topic,
      messageKey: null,
      payload: '{}',
      headers: '{}',
      createdAt: at(10 * day),
      publishedAt,
      parkedAt,
      parkReason: parkedAt ? 'too_large: test' : null,
    });
    await ds.getRepository(OutboxMessageEntity).insert([
      row('old-published', at(4 * day)),
      row('recent-published', at(day)),
      row('old-unpublished', null),
      row('old-parked', null, at(4 * day)),
    ]);
    await ds.getRepository(ProcessedMessageEntity).insert([
      { consumer: 'c', messageId: 'old-processed'.padEnd(36, '0'), topic, processedAt: at(40 * day) },
      { consumer: 'c', messageId: 'recent-processed'.padEnd(36, '0'), topic, processedAt: at(5 * day) },
    ]);
    const retention = new MessagingRetention(ds, { logger: silentLogger, outboxRetentionMs: 3 * day, inboxRetentionMs: 30 * day, chunkSize: 1 });
    expect(await retention.pruneOnce()).toEqual({ outbox: 1, inbox: 1 });
    const left = (await ds.query('SELECT message_id FROM outbox_message ORDER BY id')).map((r: { message_id: string }) => r.message_id.replace(/0+$/, ''));
    expect(left).toEqual(['recent-published', 'old-unpublished', 'old-parked']);
    const processed = (await ds.query('SELECT message_id FROM processed_message')).map((r: { message_id: string }) => r.message_id.replace(/0+$/, ''));
    expect(processed).toEqual(['recent-processed']);
    expect(await retention.pruneOnce()).toEqual({ outbox: 0, inbox: 0 });
  });
});
