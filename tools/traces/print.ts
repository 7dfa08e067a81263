/**
 * Prints the spans of one trace from the local trace store (tools/traces/store.ts) as a tree: service, span name,
 * start offset and duration, the attributes that say where it went (route, topic, statement, URL), and span links.
 *
 *   npm run trace -- <traceId>        one trace
 *   npm run trace                     the 20 most recent traces (id, root span, services, span count)
 *
 * TRACE_STORE_FILE overrides the file (.run/traces/spans.jsonl).
 */
import { DEFAULT_TRACE_FILE, readSpans, type StoredSpan } from './store';

const KINDS = ['', '', 'server', 'client', 'producer', 'consumer'];
const DETAIL_KEYS = ['http.route', 'url.full', 'http.url', 'http.target', 'http.response.status_code', 'http.status_code', 'messaging.destination.name', 'messaging.message.id', 'db.statement', 'db.query.text', 'db.statement', 'net.peer.name'];

function detail(span: StoredSpan): string {
  const parts: string[] = [];
  for (const key of new Set(DETAIL_KEYS)) {
    const v = span.attributes[key];
    if (v === undefined || v === '') continue;
    const text = String(v).replace(/\s+/g, ' ');
    parts.push(`${key.split('.').pop()}=${text.length > 80 ? `${text.slice(0, 77)}…` : text}`);
  }
  if (span.status?.code === 2) parts.push(`ERROR ${span.status.message ?? ''}`.trim());
  return parts.join(' ');
}

/** The tree as lines; orphans (parent not stored, e.g. still buffered in a service) are printed as roots. */
export function formatTrace(spans: StoredSpan[]): string[] {
  if (!spans.length) return [];
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const children = new Map<string, StoredSpan[]>();
  const roots: StoredSpan[] = [];
  for (const s of spans) {
    if (s.parentSpanId && byId.has(s.parentSpanId)) children.set(s.parentSpanId, [...(children.get(s.parentSpanId) ?? []), s]);
    else roots.push(s);
  }
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const lines: string[] = [];
  const walk = (s: StoredSpan, depth: number) => {
    const head = `${'  '.repeat(depth)}${s.name}`;
    const kind = KINDS[s.kind] ? ` (${KINDS[s.kind]})` : '';
    lines.push(
      `${`+${(s.startMs - t0).toFixed(1)}`.padStart(9)} ms ${s.durationMs.toFixed(1).padStart(8)} ms  ${s.service.padEnd(13)} ${head}${kind}  ${detail(s)}`.trimEnd(),
    );
    for (const l of s.links) lines.push(`${' '.repeat(35)}${'  '.repeat(depth + 1)}↪ link ${l.traceId === s.traceId ? '' : `trace ${l.traceId} `}span ${l.spanId}`);
    for (const c of (children.get(s.spanId) ?? []).sort((a, b) => a.startMs - b.startMs)) walk(c, depth + 1);
  };
  for (const r of roots.sort((a, b) => a.startMs - b.startMs)) walk(r, 0);
  return lines;
}

function recent(spans: StoredSpan[], count = 20): string[] {
  const traces = new Map<string, StoredSpan[]>();
  for (const s of spans) traces.set(s.traceId, [...(traces.get(s.traceId) ?? []), s]);
  return [...traces.entries()]
    .map(([id, list]) => ({ id, list, start: Math.min(...list.map((s) => s.startMs)) }))
    .sort((a, b) => b.start - a.start)
    .slice(0, count)
    .map(({ id, list, start }) => {
      const root = list.find((s) => !s.parentSpanId) ?? list[0];
      const services = [...new Set(list.map((s) => s.service))].join(',');
      return `${id}  ${new Date(start).toISOString()}  ${String(list.length).padStart(4)} spans  ${root.name}  [${services}]`;
    });
}

if (require.main === module) {
  const file = process.env.TRACE_STORE_FILE ?? DEFAULT_TRACE_FILE;
  const traceId = process.argv[2]?.toLowerCase();
  if (traceId && !/^[0-9a-f]{32}$/.test(traceId)) {
    process.stderr.write(`traceId: expected 32 hex digits, got "${process.argv[2]}"\n`);
    process.exit(2);
  }
  const lines = traceId ? formatTrace(readSpans(file, traceId)) : recent(readSpans(file));
  if (!lines.length) {
    process.stderr.write(traceId ? `no spans of trace ${traceId} in ${file}\n` : `no spans in ${file} (is npm run traces:store running and OTEL_EXPORTER_OTLP_ENDPOINT set?)\n`);
    process.exit(1);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
