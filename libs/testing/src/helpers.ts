import { randomBytes } from 'node:crypto';
import { Kafka, Consumer, KafkaMessage, logLevel } from 'kafkajs';
import { kafkaEnvSchema, kafkaSecurityFrom, parseConfig, type KafkaSecurity } from '@receptionist/config';
import pino from 'pino';
import { DataSource, DataSourceOptions, EntitySchema, MixedList } from 'typeorm';
import { testInfra } from './env';

export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;

export async function waitFor<T>(
  probe: () => T | Promise<T>,
  { timeoutMs = 20000, intervalMs = 25, message = 'condition' } = {},
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

let sharedKafkaSecurity: KafkaSecurity | undefined;
/** The shared broker's SASL/TLS settings from the services' variables (KAFKA_SASL_*, KAFKA_SSL*); none locally. */
export function testKafkaSecurity(): KafkaSecurity {
  sharedKafkaSecurity ??= kafkaSecurityFrom(parseConfig(kafkaEnvSchema, { ...process.env, KAFKA_BROKERS: testInfra.kafkaBrokers.join(',') }));
  return sharedKafkaSecurity;
}

export function testKafka(clientId = uniqueName('test')): Kafka {
  return testKafkaOn(testInfra.kafkaBrokers, clientId, testKafkaSecurity());
}

/** A kafkajs client for another broker than the shared one (a test's PrivateKafka, with its SASL credentials if any). */
export function testKafkaOn(brokers: string[], clientId = uniqueName('test'), security?: KafkaSecurity): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  return new Kafka({ clientId, brokers, ...security, logLevel: logLevel.NOTHING, retry: { initialRetryTime: 50, retries: 8 } });
}

/**
 * Commits new consumer groups' offsets at the current end of their topics (`{ groupId: topics }`), so a test's
 * service neither replays the shared broker's retained history nor handles other tests' messages. One short-lived
 * member per group commits all its topics at once; kafkajs' admin.resetOffsets joins the group once per topic and
 * waits out a fetch each time (≈ 5 s a topic).
 */
export async function startGroupsAtEnd(groups: Record<string, string[]>): Promise<void> {
  const kafka = testKafka();
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, { partition: number; offset: string }[]>();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = [...new Set(Object.values(groups).flat())].filter((t) => existing.has(t));
    for (const topic of topics) ends.set(topic, (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.high })));
  } finally {
    await admin.disconnect();
  }
  await Promise.all(
    Object.entries(groups).map(async ([groupId, wanted]) => {
      const topics = wanted.filter((t) => ends.has(t));
      if (topics.length === 0) return;
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
      await consumer.connect();
      try {
        await consumer.subscribe({ topics, fromBeginning: false });
        const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
        await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
        await joined;
        await consumer.commitOffsets(topics.flatMap((topic) => ends.get(topic)!.map((e) => ({ topic, ...e }))));
      } finally {
        await consumer.disconnect();
      }
    }),
  );
}

export async function createTopics(kafka: Kafka, topics: { topic: string; numPartitions?: number; configEntries?: { name: string; value: string }[] }[]) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((t) => ({ numPartitions: 1, replicationFactor: 1, ...t })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, topics: string[]) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
}

/** A throwaway database with the given migrations applied; `drop()` removes it. */
export async function createTestDatabase(
  prefix: string,
  options: { entities: MixedList<Function | string | EntitySchema>; migrations: MixedList<Function | string> },
): Promise<{ dataSource: DataSource; database: string; drop: () => Promise<void> }> {
  const database = uniqueName(`t_${prefix}`).toLowerCase();
  const admin = new DataSource({ type: 'mysql', ...testInfra.db });
  await admin.initialize();
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.destroy();
  const dataSource = new DataSource({
    type: 'mysql',
    ...testInfra.db,
    database,
    entities: options.entities,
    migrations: options.migrations,
    migrationsRun: false,
    synchronize: false,
    timezone: 'Z',
    extra: { connectionLimit: 10 },
  } as DataSourceOptions);
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return {
    dataSource,
    database,
    drop: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      const a = new DataSource({ type: 'mysql', ...testInfra.db });
      await a.initialize();
      await a.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await a.destroy();
    },
  };
}

/** Reads everything that arrives on `topics` (read_committed) into an array, for assertions. */
export async function collectMessages(
  kafka: Kafka,
  topics: string[],
  { fromBeginning = true } = {},
): Promise<{ messages: (KafkaMessage & { topic: string })[]; stop: () => Promise<void>; consumer: Consumer }> {
  const consumer = kafka.consumer({ groupId: uniqueName('collector'), maxWaitTimeInMs: 100 });
  const messages: (KafkaMessage & { topic: string })[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning });
  const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  await consumer.run({ eachMessage: async ({ topic, message }) => void messages.push({ ...message, topic }) });
  await joined;
  return { messages, consumer, stop: () => consumer.disconnect() };
}
