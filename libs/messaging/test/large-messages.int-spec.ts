import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { createEnvelope } from '@receptionist/contracts';
import { isMessageTooLargeError, MessageProducer } from '../src';
import { collectMessages, createTopics, deleteTopics, testKafka, uniqueName, waitFor } from '@receptionist/testing';

jest.setTimeout(60000);

const LIMIT = 100 * 1024;

/**
 * The direct producer batches what is published concurrently into one request (the gateway's webhooks); the broker
 * limits each partition's record batch (`max.message.bytes`). One record too large must fail only its own
 * publish, and a large but compressible one must pass.
 */
describe('large messages on the direct producer (real Kafka)', () => {
  let kafka: Kafka;
  let producer: MessageProducer;
  let topic: string;

  beforeEach(async () => {
    kafka = testKafka();
    topic = uniqueName('test.large').replace('_', '-');
    await createTopics(kafka, [{ topic, numPartitions: 2, configEntries: [{ name: 'max.message.bytes', value: String(LIMIT) }] }]);
    producer = new MessageProducer(kafka);
    await producer.connect();
  });

  afterEach(async () => {
    await producer.disconnect();
    await deleteTopics(kafka, [topic]);
  });

  const publish = (key: string, blob: string, id = uniqueName('m')) =>
    producer
      .publish({ topic, key, envelope: createEnvelope({ id, type: topic, source: 'test', companyId: 'c1', subject: key, data: { blob } }) })
      .then(
        () => ({ id, ok: true as const }),
        (error: unknown) => ({ id, ok: false as const, error }),
      );

  it('an oversized record fails alone; its neighbours in the same batch and a large compressible one are written', async () => {
    const seen = await collectMessages(kafka, [topic], { fromBeginning: true });
    try {
      // The first publish leaves at once; everything published while it is in flight leaves together in one batch.
      const first = publish('k0', 'first');
      const batch = [
        publish('k1', 'small one'),
        publish('k1', randomBytes(LIMIT).toString('base64')), // incompressible, over the limit
        publish('k2', 'small two'),
        publish('k1', 'Guten Tag, ich hätte gern einen Termin. '.repeat(8000)), // 320 KB, compresses far below the limit
        publish('k2', 'small three'),
      ];
      const results = await Promise.all([first, ...batch]);
      expect(results.map((r) => r.ok)).toEqual([true, true, false, true, true, true]);
      expect(isMessageTooLargeError((results[2] as { error: unknown }).error)).toBe(true);
      const written = results.filter((r) => r.ok).map((r) => r.id);
      await waitFor(() => written.every((id) => seen.messages.some((m) => JSON.parse(m.value!.toString()).id === id)), { message: 'the neighbours on the topic' });
      expect(seen.messages.some((m) => JSON.parse(m.value!.toString()).id === results[2].id)).toBe(false);
    } finally {
      await seen.stop();
    }
  });

  it('many small records that together exceed the limit on one partition are all written', async () => {
    const first = publish('same', 'first');
    // 30 × ~6 KB of incompressible data on one key (one partition): one record batch of ~180 KB > 100 KB.
    const rest = Array.from({ length: 30 }, () => publish('same', randomBytes(4500).toString('base64')));
    const results = await Promise.all([first, ...rest]);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBeGreaterThanOrEqual(31);
  });
});
