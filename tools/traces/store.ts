/**
 * A tiny local trace store: an OTLP/HTTP receiver (JSON, as @opentelemetry/exporter-trace-otlp-http sends it) that
 * appends every span as one JSON line to a file, so a developer can follow a call without Jaeger or Grafana:
 *
 *   npm run traces:store                      (listens on 127.0.0.1:4318, writes .run/traces/spans.jsonl)
 *   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 npm start
 *   npm run trace -- <traceId>                (the trace id is in every log line and the x-trace-id header)
 *
 * Environment: TRACE_STORE_PORT (4318), TRACE_STORE_FILE (.run/traces/spans.jsonl). Tests start it in-process.
 * Not a production store: no retention, no index; the file is read whole.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';

export const ROOT = path.resolve(__dirname, '../..');
export const DEFAULT_TRACE_FILE = path.join(ROOT, '.run/traces/spans.jsonl');

/** One span as stored: ids in hex, times in ms since the epoch, attributes flattened to plain values. */
export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  service: string;
  startMs: number;
  durationMs: number;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
  status?: { code?: number; message?: string };
}

type AnyValue = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: AnyValue[] } };
type KeyValue = { key: string; value?: AnyValue };

function value(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  return undefined;
}

const attrs = (list: KeyValue[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));
// The JSON encoding carries ids as hex; tolerate base64 (the proto3 JSON mapping) just in case.
const hexId = (id: string | undefined) => (!id ? undefined : /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex'));
const ms = (nanos: string | number) => Number(BigInt(nanos) / 1000n) / 1000;

/** Flattens one OTLP ExportTraceServiceRequest (JSON) into stored spans. */
export function flattenOtlp(body: any): StoredSpan[] {
  const out: StoredSpan[] = [];
  for (const rs of body?.resourceSpans ?? []) {
    const resource = attrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const start = ms(s.startTimeUnixNano);
        out.push({
          traceId: hexId(s.traceId)!,
          spanId: hexId(s.spanId)!,
          ...(s.parentSpanId ? { parentSpanId: hexId(s.parentSpanId) } : {}),
          name: s.name,
          kind: Number(s.kind ?? 0),
          service: String(resource['service.name'] ?? 'unknown'),
          startMs: start,
          durationMs: Math.max(0, ms(s.endTimeUnixNano) - start),
          attributes: attrs(s.attributes),
          links: (s.links ?? []).map((l: any) => ({ traceId: hexId(l.traceId)!, spanId: hexId(l.spanId)! })),
          ...(s.status && (s.status.code || s.status.message) ? { status: { code: s.status.code, message: s.status.message } } : {}),
        });
      }
    }
  }
  return out;
}

/** Every stored span of one trace (or of all traces), from the file. */
export function readSpans(file = DEFAULT_TRACE_FILE, traceId?: string): StoredSpan[] {
  if (!fs.existsSync(file)) return [];
  const spans: StoredSpan[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line || (traceId && !line.includes(traceId))) continue;
    try {
      const span = JSON.parse(line) as StoredSpan;
      if (!traceId || span.traceId === traceId) spans.push(span);
    } catch {
      // a line cut short by a crash: skip it
    }
  }
  return spans;
}

export interface TraceStore {
  url: string;
  file: string;
  close: () => Promise<void>;
}

export function startTraceStore(options: { port?: number; host?: string; file?: string } = {}): Promise<TraceStore> {
  const file = options.file ?? DEFAULT_TRACE_FILE;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url?.startsWith('/traces/')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(readSpans(file, req.url.slice('/traces/'.length))));
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        let raw = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') raw = zlib.gunzipSync(raw);
        if (!String(req.headers['content-type'] ?? '').includes('json')) {
          res.writeHead(415, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'only OTLP/HTTP JSON is accepted' }));
          return;
        }
        const spans = flattenOtlp(JSON.parse(raw.toString('utf8')));
        if (spans.length) fs.appendFileSync(file, spans.map((s) => JSON.stringify(s)).join('\n') + '\n');
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch (error) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ message: (error as Error).message }));
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4318, options.host ?? '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, file, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

if (require.main === module) {
  const file = process.env.TRACE_STORE_FILE ?? DEFAULT_TRACE_FILE;
  startTraceStore({ port: Number(process.env.TRACE_STORE_PORT ?? 4318), file }).then(
    (store) => process.stdout.write(`trace store on ${store.url} (OTEL_EXPORTER_OTLP_ENDPOINT=${store.url}), spans in ${path.relative(process.cwd(), file)}\n`),
    (error: Error) => {
      process.stderr.write(`[traces] ${error.message}\n`);
      process.exit(1);
    },
  );
}
