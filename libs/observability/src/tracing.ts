import {
  Context,
  Link,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
/** Kafka record headers as Kafka clients hand them over (values may be Buffers or arrays of them). */
type IHeaders = { [name: string]: Buffer | string | (Buffer | string)[] | undefined };

export const tracer = () => trace.getTracer('receptionist');

/** Writes the W3C trace context of `ctx` into Kafka headers (traceparent / tracestate). */
export function injectTraceHeaders(headers: Record<string, string>, ctx: Context = context.active()) {
  propagation.inject(ctx, headers);
  return headers;
}

/** Reads the producer's trace context from Kafka headers (values arrive as Buffers). */
export function extractTraceContext(headers: IHeaders | undefined): Context {
  const carrier: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    carrier[k] = Array.isArray(v) ? String(v[0]) : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** Runs `fn` in a span; marks the span failed and rethrows on error. */
export async function withSpan<T>(
  name: string,
  opts: { kind?: SpanKind; attributes?: Record<string, string | number | boolean>; links?: Link[]; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = opts.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: opts.kind, attributes: opts.attributes, links: opts.links }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

export function currentTraceId(): string | undefined {
  const span = trace.getSpan(context.active());
  const id = span?.spanContext().traceId;
  return id && id !== '00000000000000000000000000000000' ? id : undefined;
}

export { SpanKind, SpanStatusCode, context, trace };
