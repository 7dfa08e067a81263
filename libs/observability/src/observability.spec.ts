import { Writable } from 'node:stream';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createLogger } from './logger';
import { extractTraceContext, injectTraceHeaders, withSpan } from './tracing';
import { httpRequestDuration, initMetrics, registry } from './metrics';

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { lines: () => chunks.map((c) => JSON.parse(c)), logger: createLogger('test-service', {}, stream) };
}

describe('observability', () => {
  beforeAll(() => {
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] });
    trace.setGlobalTracerProvider(provider);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });

  it('never logs credentials or webhook signatures', () => {
    const { lines, logger } = capture();
    logger.info({ req: { headers: { authorization: 'Bearer abc', 'stripe-signature': 't=1,v1=x', accept: 'json' } }, password: 'pw' }, 'request');
    const [line] = lines();
    expect(line.req.headers.authorization).toBe('[redacted]');
    expect(line.req.headers['stripe-signature']).toBe('[redacted]');
    expect(line.req.headers.accept).toBe('json');
    expect(line.password).toBe('[redacted]');
  });

  it('adds the active trace id to log lines', async () => {
    const { lines, logger } = capture();
    let traceId = '';
    await withSpan('work', {}, async (span) => {
      traceId = span.spanContext().traceId;
      logger.info('inside');
    });
    logger.info('outside');
    expect(lines()[0]).toMatchObject({ trace_id: traceId, service: 'test-service', msg: 'inside' });
    expect(lines()[1].trace_id).toBeUndefined();
  });

  it('round-trips W3C trace context through Kafka-style headers', async () => {
    await withSpan('producer', {}, async (span) => {
      const headers = injectTraceHeaders({});
      expect(headers.traceparent).toMatch(new RegExp(`^00-${span.spanContext().traceId}-${span.spanContext().spanId}-01$`));
      const kafkaHeaders = { traceparent: Buffer.from(headers.traceparent) };
      expect(trace.getSpanContext(extractTraceContext(kafkaHeaders))?.spanId).toBe(span.spanContext().spanId);
    });
  });

  it('exposes the HTTP histogram with the service label', async () => {
    initMetrics('unit-test');
    httpRequestDuration().observe({ method: 'GET', route: '/x', status_code: '200' }, 0.012);
    const text = await registry.metrics();
    expect(text).toMatch(/http_server_request_duration_seconds_bucket\{le="0.02",service="unit-test",method="GET",route="\/x",status_code="200"\} 1/);
  });
});
