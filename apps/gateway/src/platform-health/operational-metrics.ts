import type { MetricValueWithName as MetricValue } from 'prom-client';
import { registry } from '@receptionist/observability';

/** Latency figures in milliseconds, estimated from histogram buckets (linear within a bucket). */
export interface LatencySummary {
  count: number;
  meanMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface RouteClassFigures extends LatencySummary {
  status4xx: number;
  status5xx: number;
}

/**
 * Route classes, by the route pattern Fastify matched (never the raw URL, so ids do not fan out): operators care
 * whether the admin API, the voice functions or the webhooks are slow, not about each path.
 */
export function routeClass(route: string): string {
  if (route === 'unmatched') return 'unmatched';
  if (route.startsWith('/api/health') || route.startsWith('/health/') || route === '/metrics') return 'health';
  if (/webhook/i.test(route)) return 'webhooks';
  if (route.startsWith('/api/retell') || route.startsWith('/api/voice') || /\/functions?\b/.test(route)) return 'voice';
  if (/\/portal(\/|$)/.test(route)) return 'portal';
  if (route.startsWith('/api/v1/auth') || route.startsWith('/api/v1/tokens')) return 'auth';
  if (route.startsWith('/api/v1')) return 'admin';
  return 'other';
}

type Buckets = Map<number, number>;
interface Series {
  buckets: Buckets;
  sum: number;
  count: number;
}

const emptySeries = (): Series => ({ buckets: new Map(), sum: 0, count: 0 });

function add(series: Series, value: MetricValue<string>, metric: string): void {
  const name = value.metricName ?? metric;
  if (name.endsWith('_bucket')) {
    const le = value.labels.le === '+Inf' ? Infinity : Number(value.labels.le);
    series.buckets.set(le, (series.buckets.get(le) ?? 0) + value.value);
  } else if (name.endsWith('_sum')) series.sum += value.value;
  else if (name.endsWith('_count')) series.count += value.value;
}

/** Quantile from cumulative bucket counts; above the last finite bound it reports that bound. */
function quantile(buckets: Buckets, count: number, q: number): number | null {
  if (count === 0) return null;
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const le of bounds) {
    const cumulative = buckets.get(le) ?? 0;
    if (cumulative >= rank) {
      if (le === Infinity) return lower;
      const inBucket = cumulative - below;
      return inBucket === 0 ? le : lower + ((le - lower) * (rank - below)) / inBucket;
    }
    lower = le;
    below = cumulative;
  }
  return lower;
}

const ms = (seconds: number | null) => (seconds === null ? null : Math.round(seconds * 1e6) / 1e3);

function summarize(series: Series): LatencySummary {
  return {
    count: series.count,
    meanMs: series.count ? ms(series.sum / series.count) : null,
    p50Ms: ms(quantile(series.buckets, series.count, 0.5)),
    p95Ms: ms(quantile(series.buckets, series.count, 0.95)),
    p99Ms: ms(quantile(series.buckets, series.count, 0.99)),
  };
}

async function values(name: string): Promise<MetricValue<string>[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  return (await metric.get()).values as MetricValue<string>[];
}

/** HTTP figures of this gateway instance by route class, from http_server_request_duration_seconds. */
export async function httpFigures(): Promise<Record<string, RouteClassFigures>> {
  const classes = new Map<string, { series: Series; s4: number; s5: number }>();
  for (const v of await values('http_server_request_duration_seconds')) {
    const cls = routeClass(String(v.labels.route ?? 'unmatched'));
    let entry = classes.get(cls);
    if (!entry) classes.set(cls, (entry = { series: emptySeries(), s4: 0, s5: 0 }));
    add(entry.series, v, 'http_server_request_duration_seconds');
    if (v.metricName?.endsWith('_count')) {
      const status = String(v.labels.status_code ?? '');
      if (status.startsWith('4')) entry.s4 += v.value;
      if (status.startsWith('5')) entry.s5 += v.value;
    }
  }
  return Object.fromEntries(
    [...classes.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([cls, e]) => [cls, { ...summarize(e.series), status4xx: e.s4, status5xx: e.s5 }]),
  );
}

/** One histogram summed over all its label sets (e.g. the guards' timings). */
export async function histogramSummary(name: string): Promise<LatencySummary & { totalMs: number }> {
  const series = emptySeries();
  for (const v of await values(name)) add(series, v, name);
  return { ...summarize(series), totalMs: Math.round(series.sum * 1e6) / 1e3 };
}

/** A counter's values keyed by one label. */
export async function counterByLabel(name: string, label: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of await values(name)) {
    const key = String(v.labels[label] ?? 'all');
    out[key] = (out[key] ?? 0) + v.value;
  }
  return out;
}

/** Sum of a gauge or counter's values, or null when the metric is absent. */
export async function total(name: string): Promise<number | null> {
  const list = await values(name);
  return list.length ? list.reduce((s, v) => s + v.value, 0) : null;
}
