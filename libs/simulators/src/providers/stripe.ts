import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CONTROL_PREFIX, Simulator, SimulatorState } from '../simulator';
import { afterSubscriptionInvoice, registerStripeBilling } from './stripe-billing';

/**
 * Stripe API simulator (`/v1/...`), the part billing uses (../shared/reference/domain.md §5), stateful and in the
 * real wire format so the official `stripe` SDK can be pointed at it (`host`/`port`/`protocol`):
 *
 *   POST /v1/customers, GET|POST /v1/customers/:id, GET /v1/customers/:id/payment_methods
 *   POST /v1/payment_methods, POST /v1/payment_methods/:id/attach, GET /v1/payment_methods/:id
 *   POST /v1/checkout/sessions, GET /v1/checkout/sessions/:id, POST /v1/checkout/sessions/:id/expire
 *   POST /v1/payment_intents (with confirm), GET /v1/payment_intents/:id
 *   POST /v1/tax_rates, POST /v1/invoiceitems, POST /v1/invoices, GET /v1/invoices[/:id],
 *   POST /v1/invoices/:id/finalize|send|pay|void, POST /v1/credit_notes, POST /v1/refunds (→ charge.refunded)
 *   POST /v1/webhook_endpoints, GET /v1/events[/:id]
 *   Billing (products, prices, subscriptions, portal sessions, the clock): ./stripe-billing.ts
 *
 * Requests are form-encoded (`metadata[k]=v`, `line_items[0][price_data][currency]=eur`), authenticated with
 * `Authorization: Bearer sk_test_…` (any `sk_test_` key, or exactly SIM_STRIPE_API_KEY when set). Errors are
 * `{error:{type, code?, param?, message}}` with Stripe's status codes (400 parameter_missing / invalid, 401, 402
 * card_error, 404 resource_missing). `Idempotency-Key` is honoured on POST: the first result is replayed
 * (`Idempotent-Replayed: true`), the same key with other parameters is a 400 `idempotency_error`.
 *
 * Webhooks: every event is sent to the endpoints from `POST /v1/webhook_endpoints` and to SIM_STRIPE_WEBHOOK_URL
 * (secret SIM_STRIPE_WEBHOOK_SECRET), signed `Stripe-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "t.body")>`;
 * a non-2xx answer is retried (up to `webhookAttempts`, short back-off instead of Stripe's hours).
 *
 * Test controls (besides the shared /__sim ones):
 *   POST /__sim/stripe/checkout/sessions/:id/complete   the customer pays (`{outcome: 'paid'|'declined'}`)
 *   GET|POST /c/pay/:id                                  the hosted checkout page (a browser pays or goes back)
 *   POST /__sim/stripe/events/:id/resend                 deliver an event again (`{times}`): Stripe's duplicates
 *   GET  /__sim/stripe/webhook-deliveries, GET /__sim/stripe/state
 * Cards: payment method `pm_card_visa` (or a card made from `tok_visa`) succeeds; `pm_card_chargeDeclined` /
 * `tok_chargeDeclined` is declined (`card_declined`); `pm_card_chargeCustomerFail` attaches to a customer and is
 * declined on every charge (a saved card that stopped working). Updating a customer emits `customer.updated`,
 * attaching a payment method `payment_method.attached`.
 */

export type Dict = Record<string, unknown>;
export type StripeObject = Dict & { id: string; object: string };

export interface StripeWebhookEndpoint {
  id: string;
  url: string;
  secret: string;
  enabledEvents: string[];
  fromEnv: boolean;
}

export interface StripeWebhookDelivery {
  eventId: string;
  type: string;
  url: string;
  attempt: number;
  statusCode: number | null;
  error?: string;
  at: string;
}

export interface StripeState extends SimulatorState {
  customers: Map<string, StripeObject>;
  paymentMethods: Map<string, StripeObject>;
  sessions: Map<string, StripeObject>;
  paymentIntents: Map<string, StripeObject>;
  taxRates: Map<string, StripeObject>;
  invoiceItems: Map<string, StripeObject>;
  invoices: Map<string, StripeObject>;
  creditNotes: Map<string, StripeObject>;
  events: StripeObject[];
  endpoints: StripeWebhookEndpoint[];
  deliveries: StripeWebhookDelivery[];
  idempotency: Map<string, { fingerprint: string; statusCode: number; body: unknown }>;
  apiKey: string | null;
  /** Attempts per webhook delivery (1 = no retry). */
  webhookAttempts: number;
  /**
   * Holds every POST answer back this long after the request was carried out (0 = off): the caller times out or
   * dies while Stripe has already acted on the request, the case idempotency keys exist for.
   */
  answerDelayMs: number;
  pending: Set<Promise<void>>;
  invoiceCounter: number;
  /** Seconds Stripe's clock runs ahead of the wall clock (a simulated month: POST /__sim/stripe/clock). */
  clockOffset: number;
  products: Map<string, StripeObject>;
  prices: Map<string, StripeObject>;
  subscriptions: Map<string, StripeObject>;
  portalSessions: Map<string, StripeObject>;
  /** Requests answered on /v1 (figures: Stripe requests per operation). */
  requestCount: number;
  /** Resolves once every webhook delivery started so far has finished (tests). */
  flushWebhooks(): Promise<void>;
  /** Completes a checkout session as if the customer paid on Stripe's page; emits the events. */
  completeCheckout(sessionId: string, outcome?: 'paid' | 'declined'): StripeObject;
  /** Delivers an already emitted event again. */
  resend(eventId: string, times?: number): void;
}

export const STRIPE_API_VERSION = '2026-10-28.endive';
const CURRENCIES = new Set(['eur', 'usd', 'gbp']);
/** Stripe's minimum charge amounts (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts). */
const MINIMUM_CHARGE: Record<string, number> = { eur: 50, usd: 50, gbp: 30 };
const DECLINING = new Set(['pm_card_chargeDeclined']);
/** Stripe's test card 4000 0000 0000 0341: attaches to a customer fine, every later charge is declined. */
const DECLINES_AFTER_ATTACH = new Set(['pm_card_chargeCustomerFail']);

const wallNow = () => Math.floor(Date.now() / 1000);
/** Stripe's clock as this simulator sees it: the wall clock moved by `clockOffset` (POST /__sim/stripe/clock). */
export const clock = (state: { clockOffset: number }) => wallNow() + state.clockOffset;
export const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;

// ---- errors -----------------------------------------------------------------------------------------------------

export class StripeFailure extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: { type: string; code?: string; param?: string; message: string; decline_code?: string; [k: string]: unknown },
  ) {
    super(body.message);
  }
}
export const missing = (param: string) =>
  new StripeFailure(400, { type: 'invalid_request_error', code: 'parameter_missing', param, message: `Missing required param: ${param}.` });
export const invalid = (param: string, message: string) =>
  new StripeFailure(400, { type: 'invalid_request_error', code: 'parameter_invalid_integer', param, message });
export const noSuch = (what: string, id: string, param = 'id') =>
  new StripeFailure(404, { type: 'invalid_request_error', code: 'resource_missing', param, message: `No such ${what}: '${id}'` });

// ---- form decoding ----------------------------------------------------------------------------------------------

/**
 * Stripe's bracket notation into nested objects: `a[b][0][c]=x` → `{a:{b:[{c:'x'}]}}`. stripe-node writes arrays
 * with explicit indices; `a[]=x` (other clients) appends.
 */
export function decodeStripeForm(flat: Record<string, string | string[]>): Dict {
  const root: Dict = {};
  for (const [key, raw] of Object.entries(flat)) {
    const values = Array.isArray(raw) ? raw : [raw];
    for (const value of values) {
      const path = key.replace(/\]/g, '').split('[');
      let node: Dict | unknown[] = root;
      path.forEach((segment, i) => {
        const last = i === path.length - 1;
        const nextIsIndex = !last && /^\d*$/.test(path[i + 1]);
        const container = node as Record<string, unknown>;
        const k = segment === '' && Array.isArray(node) ? String(node.length) : segment;
        if (last) {
          container[k] = value;
          return;
        }
        if (container[k] === undefined) container[k] = nextIsIndex ? [] : {};
        node = container[k] as Dict;
      });
    }
  }
  return compactArrays(root) as Dict;
}

function compactArrays(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compactArrays);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compactArrays(v)]));
  return value;
}

export const str = (body: Dict, param: string, required = false): string | undefined => {
  const v = body[param];
  if (v === undefined || v === '') {
    if (required) throw missing(param);
    return undefined;
  }
  if (typeof v !== 'string') throw invalid(param, `Invalid string: ${param}`);
  return v;
};
export const int = (body: Dict, param: string, required = false): number | undefined => {
  const v = str(body, param, required);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw invalid(param, `Invalid integer: ${v}`);
  return Number(v);
};
export const bool = (body: Dict, param: string): boolean | undefined => {
  const v = str(body, param);
  return v === undefined ? undefined : v === 'true';
};
export const metadataOf = (body: Dict): Record<string, string> => {
  const m = body.metadata;
  if (m === undefined || m === '') return {};
  if (typeof m !== 'object' || Array.isArray(m)) throw invalid('metadata', 'Invalid hash');
  return Object.fromEntries(Object.entries(m as Dict).map(([k, v]) => [k, String(v)]));
};
export const currencyOf = (body: Dict, param = 'currency', required = true): string | undefined => {
  const c = str(body, param, required)?.toLowerCase();
  if (c !== undefined && !CURRENCIES.has(c)) throw invalid(param, `Invalid currency: ${c}. Stripe currencies are three-letter ISO codes; the simulator knows eur, usd, gbp.`);
  return c;
};
export const list = (data: unknown[], url: string) => ({ object: 'list', data, has_more: false, url });

// ---- state ------------------------------------------------------------------------------------------------------

function envEndpoint(env: NodeJS.ProcessEnv): StripeWebhookEndpoint[] {
  const url = env.SIM_STRIPE_WEBHOOK_URL;
  if (!url) return [];
  return [{ id: 'we_env', url, secret: env.SIM_STRIPE_WEBHOOK_SECRET ?? 'whsec_simulator', enabledEvents: ['*'], fromEnv: true }];
}

/** `t=<unix>,v1=<hex>` exactly as Stripe signs (stripe-node `Webhooks.ts`). */
export function signStripePayload(payload: string, secret: string, timestamp = wallNow()): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

export function createStripeState(env: NodeJS.ProcessEnv = process.env): StripeState {
  const state: StripeState = {
    customers: new Map(),
    paymentMethods: new Map(),
    sessions: new Map(),
    paymentIntents: new Map(),
    taxRates: new Map(),
    invoiceItems: new Map(),
    invoices: new Map(),
    creditNotes: new Map(),
    events: [],
    endpoints: envEndpoint(env),
    deliveries: [],
    idempotency: new Map(),
    apiKey: env.SIM_STRIPE_API_KEY || null,
    webhookAttempts: 3,
    answerDelayMs: 0,
    pending: new Set(),
    invoiceCounter: 0,
    clockOffset: 0,
    products: new Map(),
    prices: new Map(),
    subscriptions: new Map(),
    portalSessions: new Map(),
    requestCount: 0,
    async flushWebhooks() {
      while (state.pending.size) await Promise.allSettled([...state.pending]);
    },
    completeCheckout(sessionId, outcome = 'paid') {
      return completeCheckout(state, sessionId, outcome);
    },
    resend(eventId, times = 1) {
      const event = state.events.find((e) => e.id === eventId);
      if (!event) throw noSuch('event', eventId);
      for (let i = 0; i < times; i++) deliver(state, event);
    },
    reset() {
      for (const m of [state.customers, state.paymentMethods, state.sessions, state.paymentIntents, state.taxRates, state.invoiceItems, state.invoices, state.creditNotes, state.idempotency, state.products, state.prices, state.subscriptions, state.portalSessions]) m.clear();
      state.clockOffset = 0;
      state.requestCount = 0;
      state.events = [];
      state.endpoints = envEndpoint(env);
      state.deliveries = [];
      state.apiKey = env.SIM_STRIPE_API_KEY || null;
      state.webhookAttempts = 3;
      state.answerDelayMs = 0;
      state.invoiceCounter = 0;
    },
  };
  return state;
}

// ---- events and webhooks ----------------------------------------------------------------------------------------

export function emit(state: StripeState, type: string, object: StripeObject, request?: { id: string; idempotencyKey: string | null }, previousAttributes?: Dict) {
  const event: StripeObject = {
    id: newId('evt'),
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created: clock(state),
    data: { object: structuredClone(object), ...(previousAttributes && Object.keys(previousAttributes).length ? { previous_attributes: structuredClone(previousAttributes) } : {}) },
    livemode: false,
    pending_webhooks: state.endpoints.length,
    request: { id: request?.id ?? null, idempotency_key: request?.idempotencyKey ?? null },
    type,
  };
  state.events.push(event);
  deliver(state, event);
}

function deliver(state: StripeState, event: StripeObject) {
  const body = JSON.stringify(event, null, 2);
  for (const endpoint of state.endpoints) {
    if (!endpoint.enabledEvents.includes('*') && !endpoint.enabledEvents.includes(event.type as string)) continue;
    const p = (async () => {
      for (let attempt = 1; attempt <= state.webhookAttempts; attempt++) {
        const delivery: StripeWebhookDelivery = { eventId: event.id, type: event.type as string, url: endpoint.url, attempt, statusCode: null, at: new Date().toISOString() };
        state.deliveries.push(delivery);
        try {
          const res = await fetch(endpoint.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json; charset=utf-8',
              'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
              'stripe-signature': signStripePayload(body, endpoint.secret),
            },
            body,
            redirect: 'manual',
            signal: AbortSignal.timeout(10_000),
          });
          delivery.statusCode = res.status;
          await res.arrayBuffer().catch(() => undefined);
          if (res.status >= 200 && res.status < 300) return;
        } catch (error) {
          delivery.error = error instanceof Error ? error.message : String(error);
        }
        await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1)));
      }
    })().finally(() => state.pending.delete(p));
    state.pending.add(p);
  }
}

// ---- domain -----------------------------------------------------------------------------------------------------

export function customerOr404(state: StripeState, id: string | undefined, param = 'customer'): StripeObject {
  if (!id) throw missing(param);
  const c = state.customers.get(id);
  if (!c || c.deleted) throw noSuch('customer', id, param);
  return c;
}

export function paymentMethodFrom(state: StripeState, id: string): StripeObject {
  const existing = state.paymentMethods.get(id);
  if (existing) return existing;
  // Stripe's test payment methods exist without being created.
  if (/^pm_card_/.test(id)) {
    const pm: StripeObject = {
      id,
      object: 'payment_method',
      type: 'card',
      card: { brand: 'visa', last4: DECLINING.has(id) ? '0002' : DECLINES_AFTER_ATTACH.has(id) ? '0341' : '4242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 3, country: 'DE' },
      customer: null,
      created: clock(state),
      livemode: false,
      metadata: {},
    };
    state.paymentMethods.set(id, pm);
    return pm;
  }
  throw noSuch('PaymentMethod', id, 'payment_method');
}

function chargePaymentIntent(state: StripeState, pi: StripeObject, req: RequestInfo): void {
  const pmId = pi.payment_method as string | null;
  if (!pmId) throw missing('payment_method');
  const pm = paymentMethodFrom(state, pmId);
  const declined = DECLINING.has(pm.id) || DECLINES_AFTER_ATTACH.has(pm.id) || (pm.sim_declines as boolean | undefined) === true;
  if (declined) {
    const error = { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.', payment_method: pm };
    Object.assign(pi, { status: 'requires_payment_method', last_payment_error: error });
    emit(state, 'payment_intent.payment_failed', pi, req);
    throw new StripeFailure(402, { ...error, payment_intent: structuredClone(pi) });
  }
  const chargeId = newId('ch');
  Object.assign(pi, { status: 'succeeded', amount_received: pi.amount, latest_charge: chargeId, last_payment_error: null });
  if (pi.setup_future_usage && pi.customer) pm.customer = pi.customer;
  emit(state, 'payment_intent.succeeded', pi, req);
}

function completeCheckout(state: StripeState, sessionId: string, outcome: 'paid' | 'declined'): StripeObject {
  const session = state.sessions.get(sessionId);
  if (!session) throw noSuch('checkout.session', sessionId);
  if (session.status !== 'open') throw new StripeFailure(400, { type: 'invalid_request_error', code: 'checkout_session_not_open', message: `This Checkout Session is ${session.status}.` });
  const pmId = outcome === 'paid' ? 'pm_card_visa' : 'pm_card_chargeDeclined';
  const pi: StripeObject = {
    id: newId('pi'),
    object: 'payment_intent',
    amount: session.amount_total,
    amount_received: 0,
    currency: session.currency,
    customer: session.customer,
    description: null,
    metadata: { ...(((session.payment_intent_data as Dict | undefined)?.metadata as Dict) ?? {}) },
    payment_method: pmId,
    setup_future_usage: ((session.payment_intent_data as Dict | undefined)?.setup_future_usage as string) ?? null,
    status: 'requires_confirmation',
    created: clock(state),
    livemode: false,
    last_payment_error: null,
    latest_charge: null,
  };
  state.paymentIntents.set(pi.id, pi);
  const req = { id: newId('req'), idempotencyKey: null };
  try {
    chargePaymentIntent(state, pi, req);
  } catch (error) {
    // A declined card leaves the session open; the customer may try another card.
    if (error instanceof StripeFailure && error.statusCode === 402) return session;
    throw error;
  }
  Object.assign(session, { status: 'complete', payment_status: 'paid', payment_intent: pi.id });
  emit(state, 'checkout.session.completed', session, req);
  return session;
}

export function invoiceTotals(state: StripeState, invoice: StripeObject) {
  const lines = (invoice.lines as { data: Dict[] }).data;
  let subtotal = 0;
  let exclusiveTaxes = 0;
  let inclusiveTaxes = 0;
  const byRate = new Map<string, { amount: number; inclusive: boolean }>();
  for (const line of lines) {
    subtotal += line.amount as number;
    for (const rateId of (line.tax_rates as StripeObject[]).map((r) => r.id)) {
      const rate = state.taxRates.get(rateId)!;
      const pct = Number(rate.percentage);
      // Stripe computes tax per line and rounds half up to the minor unit; an inclusive rate is contained in the amount.
      const tax = rate.inclusive ? Math.round(((line.amount as number) * pct) / (100 + pct)) : Math.round(((line.amount as number) * pct) / 100);
      if (rate.inclusive) inclusiveTaxes += tax;
      else exclusiveTaxes += tax;
      const prev = byRate.get(rateId);
      byRate.set(rateId, { amount: (prev?.amount ?? 0) + tax, inclusive: Boolean(rate.inclusive) });
    }
  }
  const total = subtotal + exclusiveTaxes;
  Object.assign(invoice, {
    subtotal,
    subtotal_excluding_tax: subtotal - inclusiveTaxes,
    total_excluding_tax: subtotal - inclusiveTaxes,
    total_taxes: [...byRate].map(([rate, t]) => ({ amount: t.amount, tax_behavior: t.inclusive ? 'inclusive' : 'exclusive', tax_rate_details: { tax_rate: rate }, taxability_reason: 'standard_rated', type: 'tax_rate_details' })),
    total,
    amount_due: total,
    amount_remaining: total - (invoice.amount_paid as number),
  });
}

export function attachPendingItems(state: StripeState, invoice: StripeObject, defaultTaxRates: StripeObject[]) {
  const lines = (invoice.lines as { data: Dict[] }).data;
  for (const item of state.invoiceItems.values()) {
    if (item.customer !== invoice.customer || item.invoice) continue;
    if (item.currency !== invoice.currency) continue;
    item.invoice = invoice.id;
    const taxRates = (item.tax_rates as StripeObject[]).length ? (item.tax_rates as StripeObject[]) : defaultTaxRates;
    lines.push({
      id: newId('il'),
      object: 'line_item',
      amount: item.amount,
      currency: item.currency,
      description: item.description,
      invoice_item: item.id,
      metadata: item.metadata,
      quantity: item.quantity,
      period: item.period,
      tax_rates: taxRates,
      type: 'invoiceitem',
    });
  }
  (invoice.lines as Dict).total_count = lines.length;
}

export function payInvoice(state: StripeState, invoice: StripeObject, req: RequestInfo, paymentMethodId?: string, outOfBand = false) {
  if (invoice.status === 'paid') throw new StripeFailure(400, { type: 'invalid_request_error', code: 'invoice_already_paid', message: 'Invoice is already paid' });
  if (invoice.status !== 'open') throw new StripeFailure(400, { type: 'invalid_request_error', code: 'invoice_not_open', message: `Invoice is ${invoice.status}; only open invoices can be paid.` });
  const customer = state.customers.get(invoice.customer as string)!;
  const pmId = paymentMethodId ?? ((customer.invoice_settings as Dict).default_payment_method as string | null);
  if ((invoice.amount_remaining as number) > 0 && !outOfBand) {
    if (!pmId) {
      Object.assign(invoice, { attempted: true, attempt_count: ((invoice.attempt_count as number) ?? 0) + 1 });
      emit(state, 'invoice.payment_failed', invoice, req);
      afterSubscriptionInvoice(state, invoice, false, req);
      throw new StripeFailure(402, { type: 'invalid_request_error', code: 'invoice_no_customer_payment_method', message: 'This customer has no attached payment source or default payment method.' });
    }
    const pm = paymentMethodFrom(state, pmId);
    invoice.attempt_count = ((invoice.attempt_count as number) ?? 0) + 1;
    invoice.attempted = true;
    if (DECLINING.has(pm.id) || DECLINES_AFTER_ATTACH.has(pm.id) || pm.sim_declines === true) {
      emit(state, 'invoice.payment_failed', invoice, req);
      afterSubscriptionInvoice(state, invoice, false, req);
      throw new StripeFailure(402, { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' });
    }
  }
  Object.assign(invoice, {
    status: 'paid',
    paid: true,
    paid_out_of_band: outOfBand,
    amount_paid: invoice.total,
    amount_remaining: 0,
    status_transitions: { ...(invoice.status_transitions as Dict), paid_at: clock(state) },
  });
  emit(state, 'invoice.paid', invoice, req);
  afterSubscriptionInvoice(state, invoice, true, req);
}

// ---- routes -----------------------------------------------------------------------------------------------------

export interface RequestInfo {
  id: string;
  idempotencyKey: string | null;
}

export const stripeSimulator: Simulator<StripeState> = {
  name: 'stripe',
  defaultPort: 4030,
  createState: () => createStripeState(),
  register(app: FastifyInstance, state: StripeState) {
    const simUrl = (request: FastifyRequest) => `${request.protocol}://${request.headers.host ?? '127.0.0.1'}`;

    // After the shared fault hook (registered first), so a simulated outage answers 503 whatever the key.
    app.addHook('preHandler', async (request, reply) => {
      if (!request.url.startsWith('/v1/')) return;
      state.requestCount += 1;
      reply.header('request-id', newId('req'));
      reply.header('stripe-version', STRIPE_API_VERSION);
      const auth = request.headers.authorization ?? '';
      const key = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
      if (!key) {
        return reply.code(401).send({ error: { type: 'invalid_request_error', message: 'You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').' } });
      }
      if (state.apiKey ? key !== state.apiKey : !/^sk_test_\w+/.test(key)) {
        return reply.code(401).send({ error: { type: 'invalid_request_error', message: `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}` } });
      }
    });

    /** POST handler with form decoding, idempotency and Stripe's error envelope. */
    const post = <P extends Dict>(path: string, handler: (body: Dict, params: P, req: RequestInfo, request: FastifyRequest) => unknown | Promise<unknown>, status = 200) => {
      app.post(path, async (request: FastifyRequest, reply: FastifyReply) => {
        const body = typeof request.body === 'object' && request.body ? decodeStripeForm(request.body as Record<string, string>) : {};
        const idempotencyKey = (request.headers['idempotency-key'] as string | undefined) ?? null;
        const fingerprint = createHash('sha256').update(`${request.method} ${request.url} ${JSON.stringify(body)}`).digest('hex');
        if (idempotencyKey) {
          reply.header('idempotency-key', idempotencyKey);
          const previous = state.idempotency.get(idempotencyKey);
          if (previous) {
            if (previous.fingerprint !== fingerprint) {
              return reply.code(400).send({
                error: {
                  type: 'idempotency_error',
                  message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
                },
              });
            }
            reply.header('idempotent-replayed', 'true');
            return reply.code(previous.statusCode).send(previous.body);
          }
        }
        let statusCode = status;
        let result: unknown;
        try {
          result = await handler(body, request.params as P, { id: reply.getHeader('request-id') as string, idempotencyKey }, request);
        } catch (error) {
          if (!(error instanceof StripeFailure)) throw error;
          statusCode = error.statusCode;
          result = { error: { ...error.body, request_log_url: `https://dashboard.stripe.com/test/logs/${reply.getHeader('request-id')}` } };
        }
        // Stripe saves the first result, errors included (except 5xx it could not complete; not simulated here).
        if (idempotencyKey) state.idempotency.set(idempotencyKey, { fingerprint, statusCode, body: result });
        if (state.answerDelayMs > 0) await new Promise((r) => setTimeout(r, state.answerDelayMs));
        return reply.code(statusCode).send(result);
      });
    };
    const get = <P extends Dict>(path: string, handler: (params: P, query: Dict) => unknown) => {
      app.get(path, async (request, reply) => {
        try {
          return handler(request.params as P, (request.query ?? {}) as Dict);
        } catch (error) {
          if (!(error instanceof StripeFailure)) throw error;
          return reply.code(error.statusCode).send({ error: error.body });
        }
      });
    };

    // -- customers
    post('/v1/customers', (body) => {
      const customer: StripeObject = {
        id: newId('cus'),
        object: 'customer',
        created: clock(state),
        email: str(body, 'email') ?? null,
        name: str(body, 'name') ?? null,
        description: str(body, 'description') ?? null,
        metadata: metadataOf(body),
        balance: 0,
        currency: null,
        invoice_settings: { default_payment_method: null, custom_fields: null, footer: null },
        preferred_locales: [],
        livemode: false,
      };
      state.customers.set(customer.id, customer);
      return customer;
    });
    get<{ id: string }>('/v1/customers/:id', ({ id }) => customerOr404(state, id, 'id'));
    post<{ id: string }>('/v1/customers/:id', (body, { id }, req) => {
      const customer = customerOr404(state, id, 'id');
      for (const field of ['email', 'name', 'description'] as const) if (body[field] !== undefined) customer[field] = str(body, field) ?? null;
      if (body.metadata !== undefined) customer.metadata = { ...(customer.metadata as Dict), ...metadataOf(body) };
      const settings = body.invoice_settings as Dict | undefined;
      if (settings?.default_payment_method !== undefined) {
        const pm = paymentMethodFrom(state, String(settings.default_payment_method));
        if (pm.customer !== customer.id) throw new StripeFailure(400, { type: 'invalid_request_error', code: 'resource_missing', param: 'invoice_settings[default_payment_method]', message: `The customer does not have a payment method with the ID ${pm.id}. The payment method must be attached to the customer.` });
        (customer.invoice_settings as Dict).default_payment_method = pm.id;
      }
      emit(state, 'customer.updated', customer, req);
      return customer;
    });
    get<{ id: string }>('/v1/customers/:id/payment_methods', ({ id }) => {
      customerOr404(state, id, 'customer');
      return list([...state.paymentMethods.values()].filter((pm) => pm.customer === id), `/v1/customers/${id}/payment_methods`);
    });

    // -- payment methods
    post('/v1/payment_methods', (body) => {
      if (str(body, 'type', true) !== 'card') throw invalid('type', 'The simulator supports only type=card.');
      const token = str((body.card as Dict) ?? {}, 'token') ?? 'tok_visa';
      const declines = token === 'tok_chargeDeclined';
      const pm: StripeObject = {
        id: newId('pm'),
        object: 'payment_method',
        type: 'card',
        card: { brand: 'visa', last4: declines ? '0002' : '4242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 3, country: 'DE' },
        customer: null,
        created: clock(state),
        livemode: false,
        metadata: metadataOf(body),
        sim_declines: declines,
      };
      state.paymentMethods.set(pm.id, pm);
      return pm;
    });
    get<{ id: string }>('/v1/payment_methods/:id', ({ id }) => paymentMethodFrom(state, id));
    post<{ id: string }>('/v1/payment_methods/:id/attach', (body, { id }, req) => {
      const pm = paymentMethodFrom(state, id);
      const customer = customerOr404(state, str(body, 'customer', true));
      pm.customer = customer.id;
      emit(state, 'payment_method.attached', pm, req);
      return pm;
    });

    // -- checkout sessions (mode=payment with price_data line items)
    post('/v1/checkout/sessions', (body, _p, req, request) => {
      const mode = str(body, 'mode', true);
      if (mode !== 'payment') throw invalid('mode', 'The simulator supports only mode=payment.');
      const items = body.line_items as Dict[] | undefined;
      if (!Array.isArray(items) || items.length === 0) throw missing('line_items');
      let amountTotal = 0;
      let currency: string | undefined;
      items.forEach((item, i) => {
        const priceData = item.price_data as Dict | undefined;
        if (!priceData) throw missing(`line_items[${i}][price_data]`);
        const c = currencyOf(priceData, 'currency')!;
        if (currency && c !== currency) throw invalid(`line_items[${i}][price_data][currency]`, 'All line items must use the same currency.');
        currency = c;
        const unit = int(priceData, 'unit_amount', true)!;
        if (unit < 0) throw invalid(`line_items[${i}][price_data][unit_amount]`, 'This value must be greater than or equal to 0.');
        if (!((priceData.product_data as Dict | undefined)?.name)) throw missing(`line_items[${i}][price_data][product_data][name]`);
        amountTotal += unit * (int(item, 'quantity') ?? 1);
      });
      if (amountTotal < MINIMUM_CHARGE[currency!]) {
        throw new StripeFailure(400, { type: 'invalid_request_error', code: 'amount_too_small', param: 'line_items', message: `The Checkout Session's total amount due must add up to at least ${MINIMUM_CHARGE[currency!]} ${currency}.` });
      }
      const customer = str(body, 'customer');
      if (customer) customerOr404(state, customer);
      const id = `cs_test_${randomBytes(24).toString('base64url').replace(/[-_]/g, 'a')}`;
      const session: StripeObject = {
        id,
        object: 'checkout.session',
        amount_subtotal: amountTotal,
        amount_total: amountTotal,
        cancel_url: str(body, 'cancel_url') ?? null,
        client_reference_id: str(body, 'client_reference_id') ?? null,
        created: clock(state),
        currency,
        customer: customer ?? null,
        customer_email: str(body, 'customer_email') ?? null,
        expires_at: clock(state) + 24 * 3600,
        livemode: false,
        metadata: metadataOf(body),
        mode,
        payment_intent: null,
        payment_intent_data: body.payment_intent_data ?? null,
        payment_status: 'unpaid',
        status: 'open',
        success_url: str(body, 'success_url') ?? null,
        url: `${simUrl(request)}/c/pay/${id}`,
      };
      state.sessions.set(id, session);
      void req;
      return session;
    });
    get<{ id: string }>('/v1/checkout/sessions/:id', ({ id }) => {
      const s = state.sessions.get(id);
      if (!s) throw noSuch('checkout.session', id);
      return s;
    });
    post<{ id: string }>('/v1/checkout/sessions/:id/expire', (_b, { id }, req) => {
      const s = state.sessions.get(id);
      if (!s) throw noSuch('checkout.session', id);
      if (s.status !== 'open') throw new StripeFailure(400, { type: 'invalid_request_error', message: `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${s.status}".` });
      s.status = 'expired';
      emit(state, 'checkout.session.expired', s, req);
      return s;
    });
    // The hosted page a customer sees: pay (the test card succeeds) or go back; the form posts here and the
    // browser is sent on to the session's success or cancel URL, as Stripe's own page does.
    app.get<{ Params: { id: string } }>('/c/pay/:id', async (request, reply) => {
      const s = state.sessions.get(request.params.id);
      if (!s) return reply.code(404).type('text/html').send('<h1>Not found</h1>');
      const amount = `${(Number(s.amount_total) / 100).toFixed(2)} ${String(s.currency).toUpperCase()}`;
      const open = s.status === 'open';
      return reply
        .type('text/html; charset=utf-8')
        .send(
          `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Stripe Checkout (simulator)</title></head>` +
            `<body><main><h1>Stripe Checkout (simulator)</h1><p>Pay <strong id="amount">${amount}</strong> (${s.status})</p>` +
            (open
              ? `<form method="post" action="/c/pay/${s.id}"><p><label for="card">Card</label> <input id="card" name="card" value="4242 4242 4242 4242" readonly></p>` +
                `<button type="submit" name="outcome" value="paid">Pay ${amount}</button> <button type="submit" name="outcome" value="cancel">Back</button></form>`
              : '') +
            `</main></body></html>`,
        );
    });
    app.post<{ Params: { id: string }; Body: { outcome?: string } | undefined }>('/c/pay/:id', async (request, reply) => {
      const s = state.sessions.get(request.params.id);
      if (!s) return reply.code(404).type('text/html').send('<h1>Not found</h1>');
      const outcome = typeof request.body === 'object' && request.body ? request.body.outcome : undefined;
      if (outcome === 'cancel') return s.cancel_url ? reply.redirect(String(s.cancel_url), 303) : reply.type('text/html').send('<h1>Cancelled</h1>');
      try {
        const done = state.completeCheckout(s.id, 'paid');
        const success = done.success_url ? String(done.success_url).replace('{CHECKOUT_SESSION_ID}', s.id) : null;
        return success ? reply.redirect(success, 303) : reply.type('text/html').send('<h1>Paid</h1>');
      } catch (error) {
        if (!(error instanceof StripeFailure)) throw error;
        return reply.code(error.statusCode).type('text/html').send(`<h1>${error.body.message}</h1>`);
      }
    });

    // -- payment intents
    post('/v1/payment_intents', (body, _p, req) => {
      const amount = int(body, 'amount', true)!;
      const currency = currencyOf(body)!;
      if (amount < MINIMUM_CHARGE[currency]) {
        throw new StripeFailure(400, { type: 'invalid_request_error', code: 'amount_too_small', param: 'amount', message: `Amount must be at least ${MINIMUM_CHARGE[currency]} ${currency}` });
      }
      const customer = str(body, 'customer');
      if (customer) customerOr404(state, customer);
      const pi: StripeObject = {
        id: newId('pi'),
        object: 'payment_intent',
        amount,
        amount_received: 0,
        currency,
        customer: customer ?? null,
        description: str(body, 'description') ?? null,
        metadata: metadataOf(body),
        payment_method: str(body, 'payment_method') ?? null,
        setup_future_usage: str(body, 'setup_future_usage') ?? null,
        off_session: bool(body, 'off_session') ?? null,
        status: 'requires_payment_method',
        created: clock(state),
        livemode: false,
        last_payment_error: null,
        latest_charge: null,
      };
      if (pi.payment_method) pi.status = 'requires_confirmation';
      state.paymentIntents.set(pi.id, pi);
      emit(state, 'payment_intent.created', pi, req);
      if (bool(body, 'confirm')) {
        const pm = paymentMethodFrom(state, (pi.payment_method as string) ?? '');
        if (pi.off_session && pi.customer && pm.customer !== pi.customer) {
          throw new StripeFailure(400, { type: 'invalid_request_error', code: 'resource_missing', param: 'payment_method', message: `The provided PaymentMethod ${pm.id} was previously used with a PaymentIntent without Customer attachment, or it is not attached to customer ${pi.customer}.` });
        }
        chargePaymentIntent(state, pi, req);
      }
      return pi;
    });
    get<{ id: string }>('/v1/payment_intents/:id', ({ id }) => {
      const pi = state.paymentIntents.get(id);
      if (!pi) throw noSuch('payment_intent', id);
      return pi;
    });

    // -- tax rates
    post('/v1/tax_rates', (body) => {
      const percentage = str(body, 'percentage', true)!;
      if (!/^\d+(\.\d{1,4})?$/.test(percentage) || Number(percentage) > 100) throw invalid('percentage', `Invalid decimal: ${percentage}`);
      const inclusive = str(body, 'inclusive', true);
      if (inclusive !== 'false' && inclusive !== 'true') throw invalid('inclusive', `Invalid boolean: ${inclusive}`);
      const rate: StripeObject = {
        id: newId('txr'),
        object: 'tax_rate',
        active: true,
        created: clock(state),
        display_name: str(body, 'display_name', true),
        country: str(body, 'country') ?? null,
        inclusive: inclusive === 'true',
        percentage: Number(percentage),
        metadata: metadataOf(body),
        livemode: false,
      };
      state.taxRates.set(rate.id, rate);
      return rate;
    });
    const taxRatesOf = (body: Dict, param: string): StripeObject[] => {
      const ids = body[param];
      if (ids === undefined || ids === '') return [];
      if (!Array.isArray(ids)) throw invalid(param, 'Invalid array');
      return ids.map((id) => {
        const r = state.taxRates.get(String(id));
        if (!r) throw noSuch('tax rate', String(id), param);
        return r;
      });
    };

    // -- invoice items and invoices
    post('/v1/invoiceitems', (body) => {
      const customer = customerOr404(state, str(body, 'customer', true));
      const amount = int(body, 'amount', true)!;
      const currency = currencyOf(body)!;
      const invoiceId = str(body, 'invoice');
      if (invoiceId) {
        const inv = state.invoices.get(invoiceId);
        if (!inv) throw noSuch('invoice', invoiceId, 'invoice');
        if (inv.status !== 'draft') throw new StripeFailure(400, { type: 'invalid_request_error', code: 'invoice_not_editable', message: 'Invoice items can only be added to draft invoices.' });
      }
      const period = body.period as Dict | undefined;
      const item: StripeObject = {
        id: newId('ii'),
        object: 'invoiceitem',
        amount,
        currency,
        customer: customer.id,
        date: clock(state),
        description: str(body, 'description') ?? null,
        invoice: null,
        metadata: metadataOf(body),
        period: { start: period ? Number(period.start) : clock(state), end: period ? Number(period.end) : clock(state) },
        quantity: 1,
        tax_rates: taxRatesOf(body, 'tax_rates'),
        livemode: false,
      };
      state.invoiceItems.set(item.id, item);
      if (invoiceId) {
        const inv = state.invoices.get(invoiceId)!;
        attachPendingItems(state, inv, inv.default_tax_rates as StripeObject[]);
        invoiceTotals(state, inv);
      }
      return item;
    });
    post('/v1/invoices', (body, _p, req) => {
      const customer = customerOr404(state, str(body, 'customer', true));
      const currency = currencyOf(body, 'currency', false) ?? ((customer.currency as string | null) ?? 'eur');
      const collection = str(body, 'collection_method') ?? 'charge_automatically';
      if (!['charge_automatically', 'send_invoice'].includes(collection)) throw invalid('collection_method', `Invalid collection_method: ${collection}`);
      if (collection === 'send_invoice' && int(body, 'days_until_due') === undefined && !str(body, 'due_date')) {
        throw missing('days_until_due');
      }
      const defaultTaxRates = taxRatesOf(body, 'default_tax_rates');
      const invoice: StripeObject = {
        id: newId('in'),
        object: 'invoice',
        amount_due: 0,
        amount_paid: 0,
        amount_remaining: 0,
        attempt_count: 0,
        attempted: false,
        auto_advance: bool(body, 'auto_advance') ?? false,
        collection_method: collection,
        created: clock(state),
        currency,
        customer: customer.id,
        customer_email: customer.email,
        customer_name: customer.name,
        default_tax_rates: defaultTaxRates,
        description: str(body, 'description') ?? null,
        due_date: int(body, 'days_until_due') !== undefined ? clock(state) + int(body, 'days_until_due')! * 86400 : null,
        hosted_invoice_url: null,
        invoice_pdf: null,
        lines: { object: 'list', data: [], has_more: false, total_count: 0, url: '' },
        livemode: false,
        metadata: metadataOf(body),
        // A number chosen by the caller (Stripe's `number` parameter) is kept; otherwise one is given at finalization.
        number: str(body, 'number') ?? null,
        paid: false,
        period_start: clock(state),
        period_end: clock(state),
        status: 'draft',
        status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
        subtotal: 0,
        total: 0,
      };
      (invoice.lines as Dict).url = `/v1/invoices/${invoice.id}/lines`;
      const behavior = str(body, 'pending_invoice_items_behavior') ?? 'exclude';
      if (behavior === 'include') attachPendingItems(state, invoice, defaultTaxRates);
      invoiceTotals(state, invoice);
      state.invoices.set(invoice.id, invoice);
      emit(state, 'invoice.created', invoice, req);
      return invoice;
    });
    const invoiceOr404 = (id: string) => {
      const inv = state.invoices.get(id);
      if (!inv) throw noSuch('invoice', id);
      return inv;
    };
    get<{ id: string }>('/v1/invoices/:id', ({ id }) => invoiceOr404(id));
    get('/v1/invoices', (_p, query) => {
      const customer = query.customer as string | undefined;
      const data = [...state.invoices.values()].filter((i) => !customer || i.customer === customer).sort((a, b) => (b.created as number) - (a.created as number));
      return list(data, '/v1/invoices');
    });
    post<{ id: string }>('/v1/invoices/:id/finalize', (_b, { id }, req, request) => {
      const inv = invoiceOr404(id);
      if (inv.status !== 'draft') throw new StripeFailure(400, { type: 'invalid_request_error', code: 'invoice_not_editable', message: `This invoice is already finalized, you can't re-finalize a non-draft invoice.` });
      state.invoiceCounter += 1;
      const prefix = String((state.customers.get(inv.customer as string)?.id as string).slice(4, 12)).toUpperCase();
      Object.assign(inv, {
        status: 'open',
        number: (inv.number as string | null) ?? `${prefix}-${String(state.invoiceCounter).padStart(4, '0')}`,
        hosted_invoice_url: `${simUrl(request)}/i/${inv.id}`,
        invoice_pdf: `${simUrl(request)}/i/${inv.id}/pdf`,
        status_transitions: { ...(inv.status_transitions as Dict), finalized_at: clock(state) },
      });
      emit(state, 'invoice.finalized', inv, req);
      if ((inv.total as number) === 0) payInvoice(state, inv, req, undefined, true);
      return inv;
    });
    post<{ id: string }>('/v1/invoices/:id/send', (_b, { id }, req) => {
      const inv = invoiceOr404(id);
      if (inv.status === 'draft') throw new StripeFailure(400, { type: 'invalid_request_error', message: 'You can only send an invoice that has been finalized.' });
      emit(state, 'invoice.sent', inv, req);
      return inv;
    });
    post<{ id: string }>('/v1/invoices/:id/pay', (body, { id }, req) => {
      const inv = invoiceOr404(id);
      payInvoice(state, inv, req, str(body, 'payment_method'), bool(body, 'paid_out_of_band') === true);
      return inv;
    });
    post<{ id: string }>('/v1/invoices/:id/void', (_b, { id }, req) => {
      const inv = invoiceOr404(id);
      if (inv.status !== 'open') throw new StripeFailure(400, { type: 'invalid_request_error', message: `You can only void an open invoice; this one is ${inv.status}.` });
      Object.assign(inv, { status: 'void', status_transitions: { ...(inv.status_transitions as Dict), voided_at: clock(state) } });
      emit(state, 'invoice.voided', inv, req);
      return inv;
    });
    app.get<{ Params: { id: string } }>('/i/:id/pdf', async (request, reply) => {
      const inv = state.invoices.get(request.params.id);
      if (!inv) return reply.code(404).send();
      return reply.type('application/pdf').send(Buffer.from(`%PDF-1.4\n% Stripe simulator invoice ${inv.number}\n`));
    });

    // -- credit notes (refunds against a paid invoice, as a credit to the customer balance)
    post('/v1/credit_notes', (body, _p, req) => {
      const inv = invoiceOr404(str(body, 'invoice', true)!);
      const amount = int(body, 'amount', true)!;
      const credited = [...state.creditNotes.values()].filter((n) => n.invoice === inv.id).reduce((a, n) => a + (n.amount as number), 0);
      const remaining = (inv.total as number) - credited;
      if (amount <= 0 || amount > remaining) throw invalid('amount', `The credit note amount must be between 1 and ${remaining}.`);
      // After payment, how the credit is given must add up: refunded, credited to the customer balance or out of band.
      const parts = ['refund_amount', 'credit_amount', 'out_of_band_amount'].map((k) => int(body, k) ?? 0);
      if (inv.status === 'paid' && parts.some((p) => p > 0) && parts.reduce((a, p) => a + p, 0) !== amount) {
        throw invalid('amount', 'The sum of refund_amount, credit_amount and out_of_band_amount must equal the credit note amount.');
      }
      const note: StripeObject = {
        id: newId('cn'),
        object: 'credit_note',
        amount,
        currency: inv.currency,
        customer: inv.customer,
        invoice: inv.id,
        created: clock(state),
        memo: str(body, 'memo') ?? null,
        reason: str(body, 'reason') ?? null,
        metadata: metadataOf(body),
        number: `${inv.number}-CN-${[...state.creditNotes.values()].filter((n) => n.invoice === inv.id).length + 1}`,
        refund_amount: parts[0],
        credit_amount: parts[1],
        out_of_band_amount: parts[2],
        status: 'issued',
        type: inv.status === 'paid' ? 'post_payment' : 'pre_payment',
        livemode: false,
      };
      state.creditNotes.set(note.id, note);
      emit(state, 'credit_note.created', note, req);
      return note;
    });

    // -- refunds (of a succeeded PaymentIntent's charge; as from the dashboard): charge.refunded with the cumulative amount
    post('/v1/refunds', (body, _p, req) => {
      const piId = str(body, 'payment_intent', true)!;
      const pi = state.paymentIntents.get(piId);
      if (!pi) throw noSuch('payment_intent', piId, 'payment_intent');
      if (pi.status !== 'succeeded') throw new StripeFailure(400, { type: 'invalid_request_error', code: 'charge_not_refundable', message: 'This PaymentIntent has no succeeded charge to refund.' });
      const refunded = (pi.sim_amount_refunded as number | undefined) ?? 0;
      const amount = int(body, 'amount') ?? (pi.amount as number) - refunded;
      if (amount <= 0 || refunded + amount > (pi.amount as number)) {
        throw new StripeFailure(400, { type: 'invalid_request_error', code: 'charge_already_refunded', param: 'amount', message: `Refund amount (${amount}) is greater than unrefunded amount on charge (${(pi.amount as number) - refunded}).` });
      }
      pi.sim_amount_refunded = refunded + amount;
      const refund: StripeObject = { id: newId('re'), object: 'refund', amount, currency: pi.currency, charge: pi.latest_charge, payment_intent: pi.id, status: 'succeeded', reason: str(body, 'reason') ?? null, created: clock(state), metadata: metadataOf(body) };
      const refunds = ((pi.sim_refunds as StripeObject[] | undefined) ?? []).concat(refund);
      pi.sim_refunds = refunds;
      const charge: StripeObject = {
        id: pi.latest_charge as string,
        object: 'charge',
        amount: pi.amount,
        amount_captured: pi.amount,
        amount_refunded: pi.sim_amount_refunded,
        currency: pi.currency,
        customer: pi.customer,
        metadata: {},
        paid: true,
        payment_intent: pi.id,
        refunded: pi.sim_amount_refunded === pi.amount,
        refunds: { object: 'list', data: [...refunds].reverse(), has_more: false, total_count: refunds.length, url: `/v1/charges/${pi.latest_charge}/refunds` },
        status: 'succeeded',
        created: pi.created,
        livemode: false,
      };
      emit(state, 'charge.refunded', charge, req);
      return refund;
    });

    // -- Stripe Billing: products, prices, subscriptions, customer portal, the clock (./stripe-billing.ts)
    registerStripeBilling(app, state, { post, get, simUrl });

    // -- webhook endpoints and events
    post('/v1/webhook_endpoints', (body) => {
      const url = str(body, 'url', true)!;
      const events = body.enabled_events;
      if (!Array.isArray(events) || events.length === 0) throw missing('enabled_events');
      const endpoint: StripeWebhookEndpoint = { id: newId('we'), url, secret: `whsec_${randomBytes(24).toString('hex')}`, enabledEvents: events.map(String), fromEnv: false };
      state.endpoints.push(endpoint);
      return { id: endpoint.id, object: 'webhook_endpoint', url, enabled_events: endpoint.enabledEvents, secret: endpoint.secret, status: 'enabled', api_version: STRIPE_API_VERSION, created: clock(state), livemode: false };
    });
    get<{ id: string }>('/v1/events/:id', ({ id }) => {
      const e = state.events.find((x) => x.id === id);
      if (!e) throw noSuch('event', id);
      return e;
    });
    get('/v1/events', (_p, query) => {
      const type = query.type as string | undefined;
      return list([...state.events].reverse().filter((e) => !type || e.type === type).slice(0, 100), '/v1/events');
    });

    // -- test controls
    app.post<{ Params: { id: string }; Body: { outcome?: 'paid' | 'declined' } | undefined }>(`${CONTROL_PREFIX}/stripe/checkout/sessions/:id/complete`, async (request, reply) => {
      const body = typeof request.body === 'object' && request.body ? request.body : {};
      try {
        return state.completeCheckout(request.params.id, body.outcome ?? 'paid');
      } catch (error) {
        if (!(error instanceof StripeFailure)) throw error;
        return reply.code(error.statusCode).send({ error: error.body });
      }
    });
    app.post<{ Params: { id: string }; Body: { times?: number } | undefined }>(`${CONTROL_PREFIX}/stripe/events/:id/resend`, async (request, reply) => {
      const times = typeof request.body === 'object' && request.body?.times ? Math.min(Number(request.body.times), 10) : 1;
      try {
        state.resend(request.params.id, times);
        return { resent: times };
      } catch (error) {
        if (!(error instanceof StripeFailure)) throw error;
        return reply.code(error.statusCode).send({ error: error.body });
      }
    });
    app.get(`${CONTROL_PREFIX}/stripe/webhook-deliveries`, async () => {
      await state.flushWebhooks();
      return { deliveries: state.deliveries };
    });
    app.get(`${CONTROL_PREFIX}/stripe/state`, async () => ({
      customers: [...state.customers.values()],
      sessions: [...state.sessions.values()],
      paymentIntents: [...state.paymentIntents.values()],
      invoices: [...state.invoices.values()],
      invoiceItems: [...state.invoiceItems.values()],
      products: [...state.products.values()],
      prices: [...state.prices.values()],
      subscriptions: [...state.subscriptions.values()],
      events: state.events.map((e) => ({ id: e.id, type: e.type })),
      requestCount: state.requestCount,
    }));
  },
  error: (statusCode, message, request) => {
    if (statusCode === 404) {
      const path = request.url.split('?')[0];
      return {
        statusCode,
        body: {
          error: {
            type: 'invalid_request_error',
            message: `Unrecognized request URL (${request.method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
          },
        },
      };
    }
    return { statusCode, body: { error: { type: statusCode >= 500 ? 'api_error' : 'invalid_request_error', message } } };
  },
};
