/**
 * The Grafana dashboards as code: one definition per board, written as JSON into deploy/grafana/dashboards
 * (provisioned from files, see deploy/grafana/provisioning). Edit here, then `npm run dashboards`; the
 * operations-view test checks that the JSON on disk is what this file generates and that every query returns
 * data from the running platform. Metric names: docs/observability.md.
 *
 *   node -r @swc-node/register tools/observability/dashboards.ts          (writes the files)
 *   node -r @swc-node/register tools/observability/dashboards.ts --check  (exit 1 if a file differs)
 */
import fs from 'node:fs';
import path from 'node:path';

export const DASHBOARD_DIR = path.resolve(__dirname, '../../deploy/grafana/dashboards');
const DS = { type: 'prometheus', uid: 'prometheus' };
const R = '$__rate_interval';

interface PanelSpec {
  title: string;
  /** One query per series group; legend uses Grafana's {{label}} syntax. */
  queries: { expr: string; legend?: string }[];
  type?: 'timeseries' | 'stat' | 'gauge';
  unit?: string;
  w?: number;
  h?: number;
  description?: string;
  /** Value → text for stat panels (breaker states). */
  mappings?: { value: string; text: string; color: string }[];
}

interface DashboardSpec {
  uid: string;
  title: string;
  tags: string[];
  description: string;
  rows: { title: string; panels: PanelSpec[] }[];
}

// ---- query helpers (one place for the idioms) -------------------------------------------------------------------
const p99 = (metric: string, by: string, sel = '') => `histogram_quantile(0.99, sum by (le, ${by}) (rate(${metric}_bucket${sel}[${R}])))`;
const p95 = (metric: string, by: string, sel = '') => `histogram_quantile(0.95, sum by (le, ${by}) (rate(${metric}_bucket${sel}[${R}])))`;
const p50 = (metric: string, by: string, sel = '') => `histogram_quantile(0.5, sum by (le, ${by}) (rate(${metric}_bucket${sel}[${R}])))`;
/** Share of `bad` in `all` per `by`, 0 (not empty) where nothing was bad. */
const share = (all: string, bad: string, by: string) =>
  `(sum by (${by}) (rate(${bad}[${R}])) or sum by (${by}) (rate(${all}[${R}])) * 0) / sum by (${by}) (rate(${all}[${R}]))`;
const svc = (s: string) => `service="${s}"`;
const BREAKER = [
  { value: '0', text: 'closed', color: 'green' },
  { value: '1', text: 'half-open', color: 'orange' },
  { value: '2', text: 'open', color: 'red' },
];

/** RED, consumers, outbox and DLQ: the same rows on every service's board. */
function serviceRows(s: string, consumes: boolean): DashboardSpec['rows'] {
  const http = `http_server_request_duration_seconds`;
  const rows: DashboardSpec['rows'] = [
    {
      title: 'HTTP (RED)',
      panels: [
        { title: 'Requests by route', unit: 'reqps', queries: [{ expr: `sum by (route) (rate(${http}_count{${svc(s)}}[${R}]))`, legend: '{{route}}' }] },
        {
          title: '5xx share',
          unit: 'percentunit',
          queries: [{ expr: share(`${http}_count{${svc(s)}}`, `${http}_count{${svc(s)}, status_code=~"5.."}`, 'service'), legend: '5xx' }],
        },
        { title: 'p99 duration by route', unit: 's', queries: [{ expr: p99(http, 'route', `{${svc(s)}}`), legend: '{{route}}' }] },
      ],
    },
    {
      title: 'Kafka consumers',
      panels: [
        { title: 'Consumer lag', unit: 'short', queries: [{ expr: `sum by (group, topic) (messaging_consumer_lag_messages{${svc(s)}})`, legend: '{{group}} {{topic}}' }] },
        { title: 'Processing p99 by topic', unit: 's', queries: [{ expr: p99('messaging_process_duration_seconds', 'topic', `{${svc(s)}}`), legend: '{{topic}}' }] },
        { title: 'Handler failures by topic', unit: 'ops', queries: [{ expr: `sum by (topic) (rate(messaging_process_failures_total{${svc(s)}}[${R}]))`, legend: '{{topic}}' }] },
      ],
    },
    {
      title: 'Outbox and dead letters',
      panels: [
        { title: 'Outbox backlog', unit: 'short', queries: [{ expr: `max by (instance) (outbox_backlog_messages{${svc(s)}})`, legend: '{{instance}}' }] },
        { title: 'Oldest unpublished outbox row', unit: 's', queries: [{ expr: `max by (instance) (outbox_oldest_unpublished_age_seconds{${svc(s)}})`, legend: '{{instance}}' }] },
        { title: 'Dead-lettered (last hour) by topic', unit: 'short', queries: [{ expr: `sum by (topic) (increase(messaging_dead_letters_total{${svc(s)}}[1h]))`, legend: '{{topic}}' }] },
        { title: 'Produced messages by topic', unit: 'ops', queries: [{ expr: `sum by (topic) (rate(messaging_produced_messages_total{${svc(s)}}[${R}]))`, legend: '{{topic}}' }] },
      ],
    },
    {
      title: 'Process',
      panels: [
        { title: 'Resident memory', unit: 'bytes', queries: [{ expr: `max by (instance) (process_resident_memory_bytes{${svc(s)}})`, legend: '{{instance}}' }] },
        { title: 'Event loop lag p99', unit: 's', queries: [{ expr: `max by (instance) (nodejs_eventloop_lag_p99_seconds{${svc(s)}})`, legend: '{{instance}}' }] },
        { title: 'CPU', unit: 'percentunit', queries: [{ expr: `sum by (instance) (rate(process_cpu_seconds_total{${svc(s)}}[${R}]))`, legend: '{{instance}}' }] },
      ],
    },
  ];
  if (consumes) return rows;
  // A service without Kafka consumers has no lag, processing or dead letters to show.
  return rows
    .filter((r) => r.title !== 'Kafka consumers')
    .map((r) => ({ ...r, panels: r.panels.filter((p) => !p.title.startsWith('Dead-lettered')) }));
}

const SPECIFIC: Partial<Record<string, DashboardSpec['rows'][number]>> = {
  gateway: {
    title: 'Gateway: voice functions, webhooks, guard',
    panels: [
      { title: 'Voice function calls by outcome', unit: 'ops', queries: [{ expr: `sum by (outcome) (rate(gateway_voice_function_calls_total[${R}]))`, legend: '{{outcome}}' }] },
      {
        title: 'Voice function round trip p99 (Kafka request-reply)',
        unit: 's',
        queries: [{ expr: p99('messaging_request_duration_seconds', 'topic', `{${svc('gateway')}}`), legend: '{{topic}}' }],
      },
      {
        title: 'Webhooks by provider and outcome',
        unit: 'ops',
        queries: [
          { expr: `sum by (event, outcome) (rate(gateway_retell_webhooks_total[${R}]))`, legend: 'retell {{event}} {{outcome}}' },
          { expr: `sum by (outcome) (rate(gateway_stripe_webhooks_total[${R}]))`, legend: 'stripe {{outcome}}' },
          { expr: `sum by (kind, outcome) (rate(gateway_twilio_webhooks_total[${R}]))`, legend: 'twilio {{kind}} {{outcome}}' },
          { expr: `sum by (trigger, outcome) (rate(gateway_calcom_webhooks_total[${R}]))`, legend: 'calcom {{trigger}} {{outcome}}' },
        ],
      },
      { title: 'Retell requests refused (signature)', unit: 'ops', queries: [{ expr: `sum by (reason) (rate(gateway_retell_auth_failures_total[${R}]))`, legend: '{{reason}}' }] },
      { title: 'Auth guard p99', unit: 's', queries: [{ expr: p99('gateway_auth_duration_seconds', 'outcome'), legend: '{{outcome}}' }] },
      { title: 'Rate limiter p99', unit: 's', queries: [{ expr: p99('gateway_rate_limit_duration_seconds', 'service'), legend: 'limiter' }] },
    ],
  },
  'voice-agent': {
    title: 'Voice agent: functions and calls',
    panels: [
      { title: 'Function p95 by function', unit: 's', queries: [{ expr: p95('voice_function_duration_seconds', 'function'), legend: '{{function}}' }] },
      { title: 'Function p99 by function', unit: 's', queries: [{ expr: p99('voice_function_duration_seconds', 'function'), legend: '{{function}}' }] },
      { title: 'Functions by outcome', unit: 'ops', queries: [{ expr: `sum by (function, outcome) (rate(voice_function_duration_seconds_count[${R}]))`, legend: '{{function}} {{outcome}}' }] },
      { title: 'Call webhooks applied', unit: 'ops', queries: [{ expr: `sum by (event, outcome) (rate(voice_call_webhooks_total[${R}]))`, legend: '{{event}} {{outcome}}' }] },
      { title: 'Call facts published', unit: 'ops', queries: [{ expr: `sum by (fact) (rate(voice_call_facts_total[${R}]))`, legend: '{{fact}}' }] },
      { title: 'Booking round trip p99 (Kafka request-reply)', unit: 's', queries: [{ expr: p99('messaging_request_duration_seconds', 'topic', `{${svc('voice-agent')}}`), legend: '{{topic}}' }] },
    ],
  },
  booking: {
    title: 'Booking: operations, cache, Cal.com',
    panels: [
      { title: 'booking.request p99 by operation', unit: 's', queries: [{ expr: p99('booking_request_duration_seconds', 'operation'), legend: '{{operation}}' }] },
      { title: 'Bookings by outcome', unit: 'ops', queries: [{ expr: `sum by (outcome) (rate(booking_bookings_total[${R}]))`, legend: '{{outcome}}' }] },
      { title: 'Cancellations by outcome', unit: 'ops', queries: [{ expr: `sum by (outcome) (rate(booking_cancellations_total[${R}]))`, legend: '{{outcome}}' }] },
      {
        title: 'Availability cache hit ratio',
        unit: 'percentunit',
        queries: [{ expr: `sum(rate(booking_availability_cache_lookups_total{result="hit"}[${R}])) / sum(rate(booking_availability_cache_lookups_total[${R}]))`, legend: 'hit ratio' }],
      },
      { title: 'Cal.com p99 by operation', unit: 's', queries: [{ expr: p99('calcom_request_duration_seconds', 'operation'), legend: '{{operation}}' }] },
      { title: 'Cal.com breaker', type: 'stat', mappings: BREAKER, queries: [{ expr: `max by (instance) (calcom_circuit_breaker_state)`, legend: '{{instance}}' }] },
    ],
  },
  billing: {
    title: 'Billing: ledger and Stripe',
    panels: [
      { title: 'Ledger amounts by kind (per hour)', unit: 'short', queries: [{ expr: `sum by (kind, currency) (increase(billing_ledger_amount_minor_total[1h])) / 100`, legend: '{{kind}} {{currency}}' }] },
      { title: 'Ledger postings by kind', unit: 'ops', queries: [{ expr: `sum by (kind) (rate(billing_ledger_postings_total[${R}]))`, legend: '{{kind}}' }] },
      { title: 'Billed talk time (minutes per hour)', unit: 'short', queries: [{ expr: `sum by (currency) (increase(billing_billed_seconds_total[1h])) / 60`, legend: '{{currency}}' }] },
      { title: 'Stripe p99 by operation', unit: 's', queries: [{ expr: p99('stripe_request_duration_seconds', 'operation'), legend: '{{operation}}' }] },
      { title: 'Stripe breaker', type: 'stat', mappings: BREAKER, queries: [{ expr: `max by (instance) (stripe_circuit_breaker_state)`, legend: '{{instance}}' }] },
    ],
  },
  notification: {
    title: 'Notification: messages and Twilio',
    panels: [
      { title: 'Messages sent by channel and kind', unit: 'ops', queries: [{ expr: `sum by (channel, kind) (rate(notification_messages_sent_total[${R}]))`, legend: '{{channel}} {{kind}}' }] },
      { title: 'Booking event → message at Twilio p95', unit: 's', queries: [{ expr: p95('notification_event_to_send_seconds', 'kind'), legend: '{{kind}}' }] },
      { title: 'Twilio p99 by status', unit: 's', queries: [{ expr: p99('twilio_request_duration_seconds', 'status'), legend: '{{status}}' }] },
    ],
  },
  sync: {
    title: "Sync: companies' callback webhooks",
    panels: [
      { title: 'Callback attempts by outcome', unit: 'ops', queries: [{ expr: `sum by (outcome) (rate(sync_callback_attempts_total[${R}]))`, legend: '{{outcome}}' }] },
      { title: 'Receiver answer time p95', unit: 's', queries: [{ expr: p95('sync_callback_attempt_duration_seconds', 'outcome'), legend: '{{outcome}}' }] },
      { title: 'Deliveries failed for good (last hour)', type: 'stat', queries: [{ expr: `sum(increase(sync_callback_attempts_total{outcome="failed"}[1h]))`, legend: 'failed' }] },
    ],
  },
};
/** Services with Kafka consumers (all six: sync consumes the events companies subscribe to). */
const CONSUMES = new Set(['gateway', 'voice-agent', 'booking', 'billing', 'notification', 'sync']);

const SERVICE_NAMES = ['gateway', 'voice-agent', 'booking', 'billing', 'notification', 'sync'];

export const DASHBOARDS: DashboardSpec[] = [
  {
    uid: 'receptionist-overview',
    title: 'Platform overview',
    tags: ['receptionist', 'overview'],
    description: 'Calls, bookings, voice function latency, errors and money across all services.',
    rows: [
      {
        title: 'Business',
        panels: [
          {
            title: 'Calls in progress',
            type: 'stat',
            description: 'call.started minus call.completed facts (since the voice-agent instances started)',
            queries: [{ expr: `clamp_min(sum(voice_call_facts_total{fact="call.started"}) - sum(voice_call_facts_total{fact="call.completed"}), 0)`, legend: 'calls' }],
          },
          { title: 'Calls started (per minute)', unit: 'short', queries: [{ expr: `sum(rate(voice_call_facts_total{fact="call.started"}[${R}])) * 60`, legend: 'calls/min' }] },
          { title: 'Call minutes (last hour)', type: 'stat', unit: 'short', queries: [{ expr: `sum(increase(voice_call_talk_seconds_total[1h])) / 60`, legend: 'minutes' }] },
          {
            title: 'Booking conversion (bookings per completed call, last hour)',
            type: 'stat',
            unit: 'percentunit',
            queries: [{ expr: `sum(increase(booking_bookings_total{outcome="ok"}[1h])) / clamp_min(sum(increase(voice_call_facts_total{fact="call.completed"}[1h])), 1)`, legend: 'conversion' }],
          },
          { title: 'Bookings by outcome (last hour)', type: 'stat', queries: [{ expr: `sum by (outcome) (increase(booking_bookings_total[1h]))`, legend: '{{outcome}}' }] },
          { title: 'Cancellations (last hour)', type: 'stat', queries: [{ expr: `sum(increase(booking_cancellations_total{outcome="ok"}[1h]))`, legend: 'cancelled' }] },
          { title: 'Messages sent by channel (last hour)', type: 'stat', queries: [{ expr: `sum by (channel) (increase(notification_messages_sent_total[1h]))`, legend: '{{channel}}' }] },
        ],
      },
      {
        title: 'Voice functions',
        panels: [
          { title: 'Function p95 (voice-agent)', unit: 's', queries: [{ expr: p95('voice_function_duration_seconds', 'function'), legend: '{{function}}' }] },
          { title: 'Function p99 (voice-agent)', unit: 's', queries: [{ expr: p99('voice_function_duration_seconds', 'function'), legend: '{{function}}' }] },
          {
            title: 'Gateway Retell routes p99 (what the caller waits)',
            unit: 's',
            queries: [{ expr: p99('http_server_request_duration_seconds', 'route', `{${svc('gateway')}, route=~"/api/retell/.*|/api/webhooks/retell/function.*"}`), legend: '{{route}}' }],
          },
          {
            title: 'Voice functions not answered ok',
            unit: 'percentunit',
            queries: [{ expr: share('gateway_voice_function_calls_total', 'gateway_voice_function_calls_total{outcome!="ok"}', 'service'), legend: 'not ok' }],
          },
        ],
      },
      {
        title: 'Errors',
        panels: [
          {
            title: 'HTTP 5xx share by service',
            unit: 'percentunit',
            queries: [{ expr: share('http_server_request_duration_seconds_count', 'http_server_request_duration_seconds_count{status_code=~"5.."}', 'service'), legend: '{{service}}' }],
          },
          { title: 'Consumer failures by service', unit: 'ops', queries: [{ expr: `sum by (service) (rate(messaging_process_failures_total[${R}]))`, legend: '{{service}}' }] },
          { title: 'Dead-lettered (last hour) by service', type: 'stat', queries: [{ expr: `sum by (service) (increase(messaging_dead_letters_total[1h]))`, legend: '{{service}}' }] },
          { title: 'Services up', type: 'stat', queries: [{ expr: `up{job="receptionist"}`, legend: '{{service}}' }] },
        ],
      },
      {
        title: 'Money',
        panels: [
          {
            title: 'Money in and out (last hour, major units)',
            type: 'stat',
            queries: [{ expr: `sum by (direction, currency) (increase(billing_ledger_amount_minor_total[1h])) / 100`, legend: '{{direction}} {{currency}}' }],
          },
          { title: 'Ledger amounts by kind', unit: 'short', queries: [{ expr: `sum by (kind) (rate(billing_ledger_amount_minor_total[${R}])) * 60 / 100`, legend: '{{kind}} per min' }] },
        ],
      },
    ],
  },
  ...SERVICE_NAMES.map((s) => ({
    uid: `receptionist-${s}`,
    title: `Service: ${s}`,
    tags: ['receptionist', 'service'],
    description: `RED metrics, Kafka consumers, outbox and dead letters of ${s}.`,
    rows: [...(SPECIFIC[s] ? [SPECIFIC[s]] : []), ...serviceRows(s, CONSUMES.has(s))],
  })),
  {
    uid: 'receptionist-integrations',
    title: 'Integrations: Cal.com, Stripe, Twilio',
    tags: ['receptionist', 'integrations'],
    description: 'Latency, errors and circuit breakers of the outside APIs.',
    rows: [
      {
        title: 'Cal.com',
        panels: [
          { title: 'Cal.com p50 / p99 by operation', unit: 's', queries: [{ expr: p50('calcom_request_duration_seconds', 'operation'), legend: 'p50 {{operation}}' }, { expr: p99('calcom_request_duration_seconds', 'operation'), legend: 'p99 {{operation}}' }] },
          { title: 'Cal.com errors by reason', unit: 'ops', queries: [{ expr: `sum by (operation, reason) (rate(calcom_request_errors_total[${R}]))`, legend: '{{operation}} {{reason}}' }] },
          { title: 'Cal.com breaker', type: 'stat', mappings: BREAKER, queries: [{ expr: `max by (instance) (calcom_circuit_breaker_state)`, legend: '{{instance}}' }] },
        ],
      },
      {
        title: 'Stripe',
        panels: [
          { title: 'Stripe p50 / p99 by operation', unit: 's', queries: [{ expr: p50('stripe_request_duration_seconds', 'operation'), legend: 'p50 {{operation}}' }, { expr: p99('stripe_request_duration_seconds', 'operation'), legend: 'p99 {{operation}}' }] },
          { title: 'Stripe errors by reason', unit: 'ops', queries: [{ expr: `sum by (operation, reason) (rate(stripe_request_errors_total[${R}]))`, legend: '{{operation}} {{reason}}' }] },
          { title: 'Stripe breaker', type: 'stat', mappings: BREAKER, queries: [{ expr: `max by (instance) (stripe_circuit_breaker_state)`, legend: '{{instance}}' }] },
          { title: 'Stripe events handled', unit: 'ops', queries: [{ expr: `sum by (type, outcome) (rate(billing_stripe_events_total[${R}]))`, legend: '{{type}} {{outcome}}' }] },
        ],
      },
      {
        title: 'Twilio',
        panels: [
          { title: 'Twilio p50 / p99', unit: 's', queries: [{ expr: p50('twilio_request_duration_seconds', 'service'), legend: 'p50' }, { expr: p99('twilio_request_duration_seconds', 'service'), legend: 'p99' }] },
          {
            title: 'Twilio errors (non-201 share)',
            unit: 'percentunit',
            queries: [{ expr: share('twilio_request_duration_seconds_count', 'twilio_request_duration_seconds_count{status!="201"}', 'service'), legend: 'errors' }],
          },
          { title: 'Messages failed by reason', unit: 'ops', queries: [{ expr: `sum by (channel, reason) (rate(notification_messages_failed_total[${R}])) or sum by (channel) (rate(notification_messages_sent_total[${R}])) * 0`, legend: '{{channel}} {{reason}}' }] },
        ],
      },
      {
        title: 'Webhooks in',
        panels: [
          {
            title: 'Webhooks refused for their signature',
            unit: 'ops',
            queries: [
              { expr: `sum(rate(gateway_retell_auth_failures_total[${R}]))`, legend: 'retell' },
              { expr: `sum(rate(gateway_stripe_webhooks_total{outcome=~"bad_signature|stale"}[${R}]))`, legend: 'stripe' },
              { expr: `sum(rate(gateway_twilio_webhooks_total{outcome=~"bad_signature|no_signature"}[${R}]))`, legend: 'twilio' },
            ],
          },
        ],
      },
    ],
  },
];

/** Grafana dashboard JSON (schema 39): rows as collapsed-less row panels, panels laid out 24 columns wide. */
export function toGrafana(d: DashboardSpec): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of d.rows) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] });
    y += 1;
    let x = 0;
    for (const p of row.panels) {
      const w = p.w ?? (p.type === 'stat' ? 6 : 8);
      const h = p.h ?? (p.type === 'stat' ? 5 : 8);
      if (x + w > 24) {
        x = 0;
        y += 8;
      }
      panels.push({
        id: id++,
        type: p.type ?? 'timeseries',
        title: p.title,
        ...(p.description ? { description: p.description } : {}),
        datasource: DS,
        gridPos: { x, y, w, h },
        fieldConfig: {
          defaults: {
            ...(p.unit ? { unit: p.unit } : {}),
            ...(p.mappings
              ? { mappings: [{ type: 'value', options: Object.fromEntries(p.mappings.map((m, i) => [m.value, { text: m.text, color: m.color, index: i }])) }] }
              : {}),
          },
          overrides: [],
        },
        options: p.type === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none' } : { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
        targets: p.queries.map((q, i) => ({ refId: String.fromCharCode(65 + i), datasource: DS, expr: q.expr, legendFormat: q.legend ?? '__auto', range: true })),
      });
      x += w;
    }
    y += 8;
  }
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: d.tags,
    timezone: 'browser',
    editable: false,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    templating: { list: [] },
    annotations: { list: [] },
    links: [{ type: 'dashboards', tags: ['receptionist'], asDropdown: true, title: 'AI Receptionist' }],
    panels,
  };
}

export const dashboardFiles = (): { file: string; json: string }[] =>
  DASHBOARDS.map((d) => ({ file: path.join(DASHBOARD_DIR, `${d.uid.replace(/^receptionist-/, '')}.json`), json: `${JSON.stringify(toGrafana(d), null, 2)}\n` }));

/** Every query of every dashboard file on disk, with where it is (for the test and for docs). */
export function queriesOnDisk(dir = DASHBOARD_DIR): { dashboard: string; panel: string; expr: string }[] {
  const out: { dashboard: string; panel: string; expr: string }[] = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const d = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    for (const p of d.panels ?? []) for (const t of p.targets ?? []) out.push({ dashboard: d.title, panel: p.title, expr: t.expr });
  }
  return out;
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  let differ = 0;
  fs.mkdirSync(DASHBOARD_DIR, { recursive: true });
  for (const { file, json } of dashboardFiles()) {
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (current === json) continue;
    differ++;
    if (check) process.stderr.write(`${path.relative(process.cwd(), file)} differs from tools/observability/dashboards.ts\n`);
    else fs.writeFileSync(file, json);
  }
  process.stdout.write(check ? `${differ ? `${differ} dashboard file(s) out of date` : 'dashboards up to date'}\n` : `${dashboardFiles().length} dashboards written (${differ} changed)\n`);
  process.exit(check && differ ? 1 : 0);
}
