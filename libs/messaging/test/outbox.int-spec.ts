import { spawn } from 'node:child_process';
import path from 'node:path';
import { DataSource } from 'typeorm';
import type { Kafka } from 'kafkajs';
import {
  MessagingRetention1734200000000,
  MessagingTables1732400000000,
  Outbox,
  OutboxMessageEntity,
  OutboxRelay,
  ProcessedMessageEntity,
} from '../src';
import {
  collectMessages,
  createTestDatabase,
  createTopics,
  deleteTopics,
  silentLogger,
  testInfra,
  testKafka,
  uniqueName,
  waitFor,
} from '@receptionist/testing';

jest.setTimeout(60000);

describe('transactional outbox (real MariaDB + Kafka)', () => {
  let kafka: Kafka;
  let db: { dataSource: DataSource; database: string; drop: () => Promise<void> };
  let topic: string;
  let outbox: Outbox;
  const relays: OutboxRelay[] = [];

  beforeEach(async () => {
    kafka = testKafka();
    topic = uniqueName('test.outbox').replace('_', '-');
    await createTopics(kafka, [{ topic, numPartitions: 3 }]);
    db = await createTestDatabase('outbox', {
      entities: [OutboxMessageEntity, ProcessedMessageEntity],
      migrations: [MessagingTables1732400000000, MessagingRetention1734200000000],
    });
    outbox = new Outbox(db.dataSource, 'test');
  });

  afterEach(async () => {
    for (const r of relays.splice(0)) await r.stop({ flush: false });
    await db.drop();
    await deleteTopics(kafka, [topic]);
  });

  function startRelay(service = 'test') {
    const relay = new OutboxRelay(kafka, db.dataSource, { service, logger: silentLogger, pollMs: 50 });
    outbox.onCommitted(() => relay.wake());
    relay.start();
    relays.push(relay);
    return relay;
  }


  it('publishes nothing for a rolled-back transaction', async () => {
    const relay = startRelay();
    const collector = await collectMessages(kafka, [topic]);
    await expect(
      outbox.transaction(async (_m, publish) => {
        await publish({ topic, key: 'a1', companyId: 'c1', subject: 'a1', data: { n: 1 } });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    // a committed marker afterwards proves the relay ran past the point where the rolled-back row would be
    await outbox.transaction((_m, publish) => publish({ topic, key: 'a1', companyId: 'c1', subject: 'a1', data: { n: 2 } }));
    await waitFor(() => collector.messages.length >= 1, { message: 'the committed marker' });
    await new Promise((r) => setTimeout(r, 300));
    expect(collector.messages.map((m) => JSON.parse(m.value!.toString()).data)).toEqual([{ n: 2 }]);
    expect(await db.dataSource.getRepository(OutboxMessageEntity).count()).toBe(1);
    await collector.stop();
    expect(relay.isLeader).toBe(true);
  });

  it('publishes a committed event exactly once, in order per key, with the envelope and headers', async () => {
    startRelay();
    const collector = await collectMessages(kafka, [topic]);
    for (let i = 0; i < 20; i++) {
      await outbox.transaction((_m, publish) =>
        publish({ topic, key: `k${i % 3}`, companyId: 'c1', subject: `k${i % 3}`, data: { seq: i } }),
      );
    }
    await waitFor(() => collector.messages.length >= 20, { message: '20 messages' });
    await new Promise((r) => setTimeout(r, 300));
    expect(collector.messages).toHaveLength(20);
    const byKey = new Map<string, number[]>();
    for (const m of collector.messages) {
      const env = JSON.parse(m.value!.toString());
      expect(env).toMatchObject({ type: topic, source: 'test', companyId: 'c1', schemaVersion: 1 });
      expect(m.headers?.['message-id']?.toString()).toBe(env.id);
      byKey.set(m.key!.toString(), [...(byKey.get(m.key!.toString()) ?? []), env.data.seq]);
    }
    for (const seqs of byKey.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    await waitFor(async () => (await db.dataSource.query('SELECT COUNT(*) n FROM outbox_message WHERE published_at IS NULL'))[0].n == 0);
    await collector.stop();
  });

  it('publishes exactly once when the relay is killed between publish and mark, and a new relay takes over', async () => {
    const collector = await collectMessages(kafka, [topic]);
    for (let i = 0; i < 5; i++) {
      await outbox.transaction((_m, publish) => publish({ topic, key: 'k', companyId: null, subject: null, data: { seq: i } }));
    }
    const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'fixtures/crashing-relay.ts')], {
      env: { ...process.env, DB_DATABASE: db.database, KAFKA_BROKERS: testInfra.kafkaBrokers.join(','), SERVICE: 'test' },
      stdio: 'inherit',
    });
    const exit = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    expect(exit).toBe('SIGKILL');
    // the batch reached Kafka but no row is marked
    await waitFor(() => collector.messages.length >= 5, { message: 'the crashed relay batch' });
    const [{ n }] = await db.dataSource.query('SELECT COUNT(*) n FROM outbox_message WHERE published_at IS NULL');
    expect(Number(n)).toBe(5);

    const relay = startRelay();
    await waitFor(() => relay.isLeader, { message: 'the new relay to lead' });
    await outbox.transaction((_m, publish) => publish({ topic, key: 'k', companyId: null, subject: null, data: { seq: 5 } }));
    await waitFor(() => collector.messages.length >= 6, { message: 'the sixth message' });
    await new Promise((r) => setTimeout(r, 500));
    const seqs = collector.messages.map((m) => JSON.parse(m.value!.toString()).data.seq);
    expect(seqs).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await relay.backlog()).toBe(0);
    await collector.stop();
  });

  it('keeps a second relay on standby until the first one stops', async () => {
    const first = startRelay();
    await waitFor(() => first.isLeader, { message: 'first relay to lead' });
    const second = startRelay();
    await new Promise((r) => setTimeout(r, 300));
    expect(second.isLeader).toBe(false);
    await first.stop();
    await waitFor(() => second.isLeader, { message: 'second relay to take over' });
  });

  it('refuses an event whose data breaks the catalogue schema, and writes nothing', async () => {
    await expect(
      outbox.transaction((_m, publish) =>
        publish({ topic: 'call.completed', key: 'c', companyId: 'c1', subject: 'c', data: { callId: 'c', durationSeconds: -1 } }),
      ),
    ).rejects.toThrow(/invalid call.completed data/);
    expect(await db.dataSource.getRepository(OutboxMessageEntity).count()).toBe(0);
  });
});
