import { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Kafka } from 'kafkajs';
import { z } from 'zod';
import { createEnvelope } from '@receptionist/contracts';
import { SpanKind, startTracing, stopTracing, withSpan } from '@receptionist/observability';
import {
  EventConsumer,
  MessageProducer,
  MessagingRetention1734200000000,
  MessagingTables1732400000000,
  Outbox,
  OutboxMessageEntity,
  OutboxRelay,
  ProcessedMessageEntity,
} from '../src';
import { createTestDatabase, createTopics, deleteTopics, silentLogger, testKafka, uniqueName, waitFor } from '@receptionist/testing';

jest.setTimeout(60000);

describe('trace context across Kafka', () => {
  const exporter = new InMemorySpanExporter();
  let kafka: Kafka;
  let topic: string;
  let producer: MessageProducer;
  let consumer: EventConsumer;
  const handledIn: string[] = [];

  beforeAll(async () => {
    startTracing({ serviceName: 'tracing-test', exporter });
    kafka = testKafka();
    topic = uniqueName('test.trace').replace('_', '-');
    await createTopics(kafka, [{ topic }, { topic: `${topic}.dlq` }]);
    producer = new MessageProducer(kafka);
    await producer.connect();
    consumer = new EventConsumer(kafka, producer, {
      groupId: uniqueName('trace-group'),
      logger: silentLogger,
      subscriptions: [{ topic, schema: z.object({ via: z.string() }), handler: async (env) => void handledIn.push((env.data as { via: string }).via) }],
    });
    await consumer.start();
    await consumer.waitUntilReady();
  });

  afterAll(async () => {
    await consumer.stop();
    await producer.disconnect();
    await deleteTopics(kafka, [topic, `${topic}.dlq`]);
    await stopTracing();
  });

  const spans = () => exporter.getFinishedSpans();
  const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
  const processSpanFor = (traceId: string) =>
    spans().find((s) => s.name === `process ${topic}` && s.spanContext().traceId === traceId);

  it('makes the consumer span a child of the producer span started before the produce', async () => {
    let rootTraceId = '';
    await withSpan('http request', { kind: SpanKind.SERVER }, async (root) => {
      rootTraceId = root.spanContext().traceId;
      await producer.publish({ topic, key: 'k', envelope: createEnvelope({ type: topic, source: 'test', companyId: null, subject: null, data: { via: 'direct' } }) });
    });
    const processSpan = await waitFor(() => processSpanFor(rootTraceId), { message: 'the consumer span' });
    const sendSpan = spans().find((s) => s.name === `send ${topic}` && s.spanContext().traceId === rootTraceId)!;
    expect(sendSpan.kind).toBe(SpanKind.PRODUCER);
    expect(processSpan.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(processSpan)).toBe(sendSpan.spanContext().spanId);
    expect(processSpan.attributes['messaging.destination.name']).toBe(topic);
  });

  it('continues the writing transaction’s trace through the outbox relay, with a link from the relay span', async () => {
    const db = await createTestDatabase('trace', { entities: [OutboxMessageEntity, ProcessedMessageEntity], migrations: [MessagingTables1732400000000, MessagingRetention1734200000000] });
    const outbox = new Outbox(db.dataSource, 'test');
    const relay = new OutboxRelay(kafka, db.dataSource, { service: 'trace-test', logger: silentLogger, pollMs: 50 });
    outbox.onCommitted(() => relay.wake());
    relay.start();
    try {
      let writerTraceId = '';
      let writerSpanId = '';
      await withSpan('book appointment', {}, async (span) => {
        writerTraceId = span.spanContext().traceId;
        writerSpanId = span.spanContext().spanId;
        await outbox.transaction((_m, publish) => publish({ topic, key: 'k', companyId: null, subject: null, data: { via: 'outbox' } }));
      });
      const processSpan = await waitFor(() => processSpanFor(writerTraceId), { message: 'the consumer span of the outbox event' });
      expect(parentOf(processSpan)).toBe(writerSpanId);
      // The relay's span ends after it has marked the rows, which can be after the consumer already has the message.
      const relaySpan = await waitFor(() => spans().find((s) => s.name === 'publish outbox' && s.links.some((l) => l.context.traceId === writerTraceId)), {
        message: 'the relay span linking the writer',
      });
      expect(relaySpan.kind).toBe(SpanKind.PRODUCER);
      expect(handledIn).toContain('outbox');
    } finally {
      await relay.stop();
      await db.drop();
    }
  });
});
