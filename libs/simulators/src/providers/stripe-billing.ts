import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CONTROL_PREFIX } from '../simulator';
import {
  Dict,
  RequestInfo,
  StripeFailure,
  StripeObject,
  StripeState,
  attachPendingItems,
  bool,
  clock,
  currencyOf,
  customerOr404,
  emit,
  int,
  invalid,
  invoiceTotals,
  list,
  metadataOf,
  missing,
  newId,
  noSuch,
  payInvoice,
  str,
} from './stripe';

/**
 * Stripe Billing in the simulator: Products, Prices, Subscriptions (trials, proration as Stripe computes it,
 * cancel at period end), their invoices, `invoice.upcoming`, and customer portal sessions, in the wire format of
 * API version 2026-10-28 (a subscription's period lives on its items; an invoice names its subscription under
 * `parent.subscription_details`):
 *
 *   POST /v1/products, GET /v1/products/:id, POST /v1/prices, GET /v1/prices/:id
 *   POST /v1/subscriptions, GET /v1/subscriptions[/:id], POST /v1/subscriptions/:id, DELETE /v1/subscriptions/:id
 *   POST /v1/billing_portal/sessions (a page at /p/session/:id lists invoices; an open one can be paid there)
 *
 * Time: Stripe's clock here is the wall clock moved by `POST /__sim/stripe/clock {advance_seconds | frozen_time}`
 * (Stripe's own test clocks, for the whole simulator). Moving it renews every subscription whose period ended:
 * trial end, renewal invoice with the customer's pending invoice items and credit balance, a charge on the
 * default card (`invoice.paid` or `invoice.payment_failed` → `past_due`), cancellation at period end; and sends
 * `invoice.upcoming` three days before a renewal. Stripe's automatic retries of a failed invoice are not
 * simulated: the invoice stays open until paid (`POST /v1/invoices/:id/pay`, the portal page).
 */

type Post = <P extends Dict>(path: string, handler: (body: Dict, params: P, req: RequestInfo, request: FastifyRequest) => unknown) => void;
type Get = <P extends Dict>(path: string, handler: (params: P, query: Dict) => unknown) => void;

const DAY = 86_400;
/** Stripe sends `invoice.upcoming` this many days before a renewal (a dashboard setting; 3 is its default). */
const UPCOMING_DAYS = 3;

/** Adds months or years the way Stripe anchors billing cycles: the 31st renews on the last day of a shorter month. */
export function addInterval(at: number, interval: string, count = 1): number {
  const d = new Date(at * 1000);
  const months = interval === 'year' ? 12 * count : interval === 'month' ? count : 0;
  if (months === 0) return at + (interval === 'week' ? 7 : 1) * DAY * count;
  const day = d.getUTCDate();
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()));
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, last));
  return Math.floor(target.getTime() / 1000);
}

const item = (sub: StripeObject) => (sub.items as { data: Dict[] }).data[0];
const priceOf = (sub: StripeObject) => item(sub).price as StripeObject;
const subscriptionOfInvoice = (invoice: Dict) => ((invoice.parent as Dict | null)?.subscription_details as Dict | undefined)?.subscription as string | undefined;

/** What Stripe charges for the remaining part of a period at a price: amount × remaining / period, rounded half up. */
export function prorate(unitAmount: number, from: number, periodStart: number, periodEnd: number): number {
  const length = periodEnd - periodStart;
  if (length <= 0) return 0;
  const remaining = Math.max(0, periodEnd - from);
  return Math.round((unitAmount * remaining) / length);
}

interface Line {
  amount: number;
  description: string;
  start: number;
  end: number;
  proration: boolean;
  price: StripeObject | null;
}

/**
 * A subscription invoice: its lines, the customer's pending invoice items, the customer's credit balance applied,
 * finalized and charged at once (charge_automatically). Returns the invoice whatever the charge's outcome.
 */
function billSubscription(state: StripeState, sub: StripeObject, reason: string, lines: Line[], req: RequestInfo, base: string): StripeObject {
  const customer = state.customers.get(sub.customer as string)!;
  const at = clock(state);
  const invoice: StripeObject = {
    id: newId('in'),
    object: 'invoice',
    amount_due: 0,
    amount_paid: 0,
    amount_remaining: 0,
    attempt_count: 0,
    attempted: false,
    auto_advance: true,
    billing_reason: reason,
    collection_method: 'charge_automatically',
    created: at,
    currency: sub.currency,
    customer: customer.id,
    customer_email: customer.email,
    customer_name: customer.name,
    default_tax_rates: [],
    description: null,
    due_date: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    lines: { object: 'list', data: [], has_more: false, total_count: 0, url: '' },
    livemode: false,
    metadata: {},
    number: null,
    paid: false,
    parent: { type: 'subscription_details', quote_details: null, subscription_details: { subscription: sub.id, metadata: { ...(sub.metadata as Dict) } } },
    period_start: lines[0]?.start ?? at,
    period_end: lines[0]?.end ?? at,
    starting_balance: customer.balance,
    ending_balance: customer.balance,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: 0,
    total: 0,
  };
  (invoice.lines as Dict).url = `/v1/invoices/${invoice.id}/lines`;
  const data = (invoice.lines as { data: Dict[] }).data;
  for (const line of lines) {
    data.push({
      id: newId('il'),
      object: 'line_item',
      amount: line.amount,
      currency: sub.currency,
      description: line.description,
      metadata: {},
      quantity: 1,
      period: { start: line.start, end: line.end },
      pricing: line.price ? { type: 'price_details', price_details: { price: line.price.id, product: line.price.product }, unit_amount_decimal: String(line.price.unit_amount) } : null,
      parent: { type: 'subscription_item_details', subscription_item_details: { subscription: sub.id, subscription_item: item(sub).id, proration: line.proration } },
      tax_rates: [],
      type: 'subscription',
    });
  }
  attachPendingItems(state, invoice, []);
  invoiceTotals(state, invoice);
  // The customer's credit balance (negative) pays first; a negative total (a downgrade's credit) adds to it.
  const total = invoice.total as number;
  const balance = customer.balance as number;
  if (total < 0) {
    customer.balance = balance + total;
    Object.assign(invoice, { amount_due: 0, amount_remaining: 0 });
  } else if (balance < 0) {
    const applied = Math.min(-balance, total);
    customer.balance = balance + applied;
    Object.assign(invoice, { amount_due: total - applied, amount_remaining: total - applied });
  } else if (balance > 0) {
    customer.balance = 0;
    Object.assign(invoice, { amount_due: total + balance, amount_remaining: total + balance });
  }
  invoice.ending_balance = customer.balance;
  state.invoices.set(invoice.id, invoice);
  emit(state, 'invoice.created', invoice, req);
  state.invoiceCounter += 1;
  Object.assign(invoice, {
    status: 'open',
    number: `${String(customer.id).slice(4, 12).toUpperCase()}-${String(state.invoiceCounter).padStart(4, '0')}`,
    hosted_invoice_url: `${base}/i/${invoice.id}`,
    invoice_pdf: `${base}/i/${invoice.id}/pdf`,
    status_transitions: { ...(invoice.status_transitions as Dict), finalized_at: at },
  });
  emit(state, 'invoice.finalized', invoice, req);
  sub.latest_invoice = invoice.id;
  try {
    payInvoice(state, invoice, req);
  } catch (error) {
    if (!(error instanceof StripeFailure) || error.statusCode !== 402) throw error;
  }
  return invoice;
}

/** Called by payInvoice after an invoice was paid or its charge failed: the subscription follows (`past_due` ↔ `active`). */
export function afterSubscriptionInvoice(state: StripeState, invoice: StripeObject, paid: boolean, req: RequestInfo): void {
  const subId = subscriptionOfInvoice(invoice);
  const sub = subId ? state.subscriptions.get(subId) : undefined;
  if (!sub || sub.status === 'canceled') return;
  const before = sub.status;
  if (paid && ['past_due', 'unpaid', 'incomplete'].includes(before as string)) sub.status = (sub.trial_end as number | null) && (sub.trial_end as number) > clock(state) ? 'trialing' : 'active';
  if (!paid && ['active', 'trialing'].includes(before as string)) sub.status = 'past_due';
  if (sub.status !== before) emit(state, 'customer.subscription.updated', sub, req, { status: before });
}

/** Renews, ends trials, cancels at period end and announces upcoming invoices up to Stripe's current time. */
export function advanceSubscriptions(state: StripeState, base: string): void {
  const req = { id: newId('req'), idempotencyKey: null };
  for (const sub of state.subscriptions.values()) {
    for (let guard = 0; guard < 60 && !['canceled', 'incomplete_expired'].includes(sub.status as string); guard++) {
      const at = clock(state);
      const current = item(sub);
      const end = current.current_period_end as number;
      if (at < end) {
        if (!sub.cancel_at_period_end && at >= end - UPCOMING_DAYS * DAY && sub.sim_upcoming_for !== end) {
          sub.sim_upcoming_for = end;
          const price = priceOf(sub);
          const next = addInterval(end, (price.recurring as Dict).interval as string);
          const pending = [...state.invoiceItems.values()].filter((i) => i.customer === sub.customer && !i.invoice && i.currency === sub.currency).reduce((a, i) => a + (i.amount as number), 0);
          const amount = (price.unit_amount as number) + pending;
          emit(state, 'invoice.upcoming', {
            id: `upcoming_in_${String(sub.id).slice(4)}_${end}`,
            object: 'invoice',
            amount_due: Math.max(0, amount + Math.min(0, state.customers.get(sub.customer as string)!.balance as number)),
            billing_reason: 'upcoming',
            currency: sub.currency,
            customer: sub.customer,
            next_payment_attempt: end,
            parent: { type: 'subscription_details', subscription_details: { subscription: sub.id, metadata: { ...(sub.metadata as Dict) } } },
            period_start: end,
            period_end: next,
            status: 'draft',
            subtotal: amount,
            total: amount,
          }, req);
        }
        break;
      }
      if (sub.cancel_at_period_end) {
        Object.assign(sub, { status: 'canceled', ended_at: end, canceled_at: (sub.canceled_at as number | null) ?? at });
        emit(state, 'customer.subscription.deleted', sub, req);
        break;
      }
      const price = priceOf(sub);
      const next = addInterval(end, (price.recurring as Dict).interval as string);
      const before = sub.status;
      Object.assign(current, { current_period_start: end, current_period_end: next });
      if (sub.status === 'trialing') sub.status = 'active';
      emit(state, 'customer.subscription.updated', sub, req, { status: before, items: { current_period_start: end } });
      billSubscription(state, sub, 'subscription_cycle', [{ amount: price.unit_amount as number, description: `1 × ${price.nickname ?? price.product} (at ${price.unit_amount} / ${(price.recurring as Dict).interval})`, start: end, end: next, proration: false, price }], req, base);
    }
  }
}

export function registerStripeBilling(app: FastifyInstance, state: StripeState, routes: { post: Post; get: Get; simUrl: (request: FastifyRequest) => string }): void {
  const { post, get, simUrl } = routes;

  // -- products and prices
  post('/v1/products', (body) => {
    const product: StripeObject = { id: newId('prod'), object: 'product', active: bool(body, 'active') ?? true, name: str(body, 'name', true), description: str(body, 'description') ?? null, metadata: metadataOf(body), created: clock(state), livemode: false };
    state.products.set(product.id, product);
    return product;
  });
  get<{ id: string }>('/v1/products/:id', ({ id }) => state.products.get(id) ?? (() => { throw noSuch('product', id); })());
  post('/v1/prices', (body) => {
    const productId = str(body, 'product', true)!;
    if (!state.products.has(productId)) throw noSuch('product', productId, 'product');
    const recurring = body.recurring as Dict | undefined;
    const interval = recurring ? str(recurring, 'interval', true)! : null;
    if (interval && !['day', 'week', 'month', 'year'].includes(interval)) throw invalid('recurring[interval]', `Invalid recurring[interval]: must be one of day, week, month, or year`);
    const unit = int(body, 'unit_amount', true)!;
    if (unit < 0) throw invalid('unit_amount', 'This value must be greater than or equal to 0.');
    const price: StripeObject = {
      id: newId('price'),
      object: 'price',
      active: true,
      currency: currencyOf(body),
      product: productId,
      nickname: str(body, 'nickname') ?? null,
      unit_amount: unit,
      unit_amount_decimal: String(unit),
      recurring: interval ? { interval, interval_count: 1, usage_type: 'licensed', meter: null } : null,
      type: interval ? 'recurring' : 'one_time',
      billing_scheme: 'per_unit',
      lookup_key: str(body, 'lookup_key') ?? null,
      metadata: metadataOf(body),
      created: clock(state),
      livemode: false,
    };
    state.prices.set(price.id, price);
    return price;
  });
  const priceOr404 = (id: string, param = 'price') => {
    const price = state.prices.get(id);
    if (!price) throw noSuch('price', id, param);
    return price;
  };
  get<{ id: string }>('/v1/prices/:id', ({ id }) => priceOr404(id, 'id'));

  // -- subscriptions
  const subscriptionOr404 = (id: string) => {
    const sub = state.subscriptions.get(id);
    if (!sub) throw noSuch('subscription', id);
    return sub;
  };
  post('/v1/subscriptions', (body, _p, req, request) => {
    const customer = customerOr404(state, str(body, 'customer', true));
    const items = body.items as Dict[] | undefined;
    if (!Array.isArray(items) || items.length === 0) throw missing('items');
    if (items.length > 1) throw invalid('items', 'The simulator supports one item per subscription.');
    const price = priceOr404(str(items[0], 'price', true)!, 'items[0][price]');
    if (!price.recurring) throw invalid('items[0][price]', 'The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.');
    if (customer.currency && customer.currency !== price.currency) {
      throw new StripeFailure(400, { type: 'invalid_request_error', param: 'currency', message: `You cannot combine currencies on a single customer. This customer has had a subscription or payment in ${customer.currency}, but you are trying to pay in ${price.currency}.` });
    }
    customer.currency = price.currency;
    const at = clock(state);
    const trialDays = int(body, 'trial_period_days') ?? 0;
    const trialEnd = trialDays > 0 ? at + trialDays * DAY : null;
    const periodEnd = trialEnd ?? addInterval(at, (price.recurring as Dict).interval as string);
    const sub: StripeObject = {
      id: newId('sub'),
      object: 'subscription',
      billing_cycle_anchor: periodEnd,
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      collection_method: 'charge_automatically',
      created: at,
      currency: price.currency,
      customer: customer.id,
      default_payment_method: null,
      ended_at: null,
      items: { object: 'list', data: [{ id: newId('si'), object: 'subscription_item', price, quantity: 1, current_period_start: at, current_period_end: periodEnd, created: at }], has_more: false, url: '' },
      latest_invoice: null,
      livemode: false,
      metadata: metadataOf(body),
      start_date: at,
      status: trialEnd ? 'trialing' : 'incomplete',
      trial_end: trialEnd,
      trial_start: trialEnd ? at : null,
    };
    state.subscriptions.set(sub.id, sub);
    emit(state, 'customer.subscription.created', sub, req);
    const label = `${price.nickname ?? price.product}`;
    const first = trialEnd
      ? { amount: 0, description: `Trial period for ${label}`, start: at, end: trialEnd, proration: false, price }
      : { amount: price.unit_amount as number, description: `1 × ${label}`, start: at, end: periodEnd, proration: false, price };
    const invoice = billSubscription(state, sub, 'subscription_create', [first], req, simUrl(request));
    if (!trialEnd && invoice.status === 'paid') {
      sub.status = 'active';
      emit(state, 'customer.subscription.updated', sub, req, { status: 'incomplete' });
    }
    return sub;
  });
  get<{ id: string }>('/v1/subscriptions/:id', ({ id }) => subscriptionOr404(id));
  get('/v1/subscriptions', (_p, query) => list([...state.subscriptions.values()].filter((s) => !query.customer || s.customer === query.customer), '/v1/subscriptions'));
  post<{ id: string }>('/v1/subscriptions/:id', (body, { id }, req, request) => {
    const sub = subscriptionOr404(id);
    if (sub.status === 'canceled') throw new StripeFailure(400, { type: 'invalid_request_error', message: 'A canceled subscription can only update its cancellation_details and metadata.' });
    const previous: Dict = {};
    if (body.metadata !== undefined) sub.metadata = { ...(sub.metadata as Dict), ...metadataOf(body) };
    const cancel = bool(body, 'cancel_at_period_end');
    if (cancel !== undefined && cancel !== sub.cancel_at_period_end) {
      previous.cancel_at_period_end = sub.cancel_at_period_end;
      Object.assign(sub, { cancel_at_period_end: cancel, cancel_at: cancel ? item(sub).current_period_end : null, canceled_at: cancel ? clock(state) : null });
    }
    const items = body.items as Dict[] | undefined;
    let invoiceLines: Line[] = [];
    if (Array.isArray(items) && items.length > 0) {
      const current = item(sub);
      if (str(items[0], 'id') && items[0].id !== current.id) throw noSuch('subscription item', String(items[0].id), 'items[0][id]');
      const price = priceOr404(str(items[0], 'price', true)!, 'items[0][price]');
      const old = current.price as StripeObject;
      if (price.currency !== sub.currency) throw invalid('items[0][price]', `The price's currency (${price.currency}) must match the subscription's currency (${sub.currency}).`);
      const behavior = str(body, 'proration_behavior') ?? 'create_prorations';
      if (!['create_prorations', 'always_invoice', 'none'].includes(behavior)) throw invalid('proration_behavior', `Invalid proration_behavior: ${behavior}`);
      previous.items = { price: old.id };
      current.price = price;
      const at = clock(state);
      const start = current.current_period_start as number;
      const end = current.current_period_end as number;
      const intervalChanged = (old.recurring as Dict).interval !== (price.recurring as Dict).interval;
      if (sub.status !== 'trialing' && behavior !== 'none') {
        // Stripe: a credit for the unused time on the old price, a charge for the remaining time on the new one.
        const credit = -prorate(old.unit_amount as number, at, start, end);
        if (intervalChanged) {
          // A new interval starts a new billing cycle now, charged in full, with the credit for the old one.
          const next = addInterval(at, (price.recurring as Dict).interval as string);
          Object.assign(current, { current_period_start: at, current_period_end: next });
          sub.billing_cycle_anchor = at;
          invoiceLines = [
            { amount: credit, description: `Unused time on ${old.nickname ?? old.product} after ${new Date(at * 1000).toISOString().slice(0, 10)}`, start: at, end, proration: true, price: old },
            { amount: price.unit_amount as number, description: `1 × ${price.nickname ?? price.product}`, start: at, end: next, proration: false, price },
          ];
        } else {
          const lines: Line[] = [
            { amount: credit, description: `Unused time on ${old.nickname ?? old.product} after ${new Date(at * 1000).toISOString().slice(0, 10)}`, start: at, end, proration: true, price: old },
            { amount: prorate(price.unit_amount as number, at, start, end), description: `Remaining time on ${price.nickname ?? price.product} after ${new Date(at * 1000).toISOString().slice(0, 10)}`, start: at, end, proration: true, price },
          ];
          if (behavior === 'always_invoice') invoiceLines = lines;
          else {
            for (const line of lines) {
              const ii: StripeObject = { id: newId('ii'), object: 'invoiceitem', amount: line.amount, currency: sub.currency, customer: sub.customer, date: at, description: line.description, invoice: null, metadata: {}, period: { start: line.start, end: line.end }, proration: true, quantity: 1, subscription: sub.id, tax_rates: [], livemode: false };
              state.invoiceItems.set(ii.id, ii);
            }
          }
        }
      }
    }
    emit(state, 'customer.subscription.updated', sub, req, previous);
    if (invoiceLines.length) billSubscription(state, sub, 'subscription_update', invoiceLines, req, simUrl(request));
    return sub;
  });
  app.delete<{ Params: { id: string } }>('/v1/subscriptions/:id', async (request, reply) => {
    const sub = state.subscriptions.get(request.params.id);
    if (!sub) return reply.code(404).send({ error: noSuch('subscription', request.params.id).body });
    if (sub.status !== 'canceled') {
      Object.assign(sub, { status: 'canceled', ended_at: clock(state), canceled_at: clock(state) });
      emit(state, 'customer.subscription.deleted', sub, { id: newId('req'), idempotencyKey: null });
    }
    return sub;
  });

  // -- customer portal
  post('/v1/billing_portal/sessions', (body, _p, _req, request) => {
    const customer = customerOr404(state, str(body, 'customer', true));
    const id = newId('bps');
    const session: StripeObject = { id, object: 'billing_portal.session', configuration: 'bpc_simulator', created: clock(state), customer: customer.id, flow: null, livemode: false, locale: null, on_behalf_of: null, return_url: str(body, 'return_url') ?? null, url: `${simUrl(request)}/p/session/${id}` };
    state.portalSessions.set(id, session);
    return session;
  });
  const portalPage = (session: StripeObject) => {
    const invoices = [...state.invoices.values()].filter((i) => i.customer === session.customer).sort((a, b) => (b.created as number) - (a.created as number));
    const rows = invoices
      .map((i) => `<tr><td>${i.number ?? i.id}</td><td>${((i.amount_due as number) / 100).toFixed(2)} ${String(i.currency).toUpperCase()}</td><td>${i.status}</td><td>${i.status === 'open' ? `<form method="post" action="/p/session/${session.id}/pay/${i.id}"><button type="submit">Pay</button></form>` : ''}</td></tr>`)
      .join('');
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Billing portal (simulator)</title></head><body><main><h1>Billing portal (simulator)</h1><table><thead><tr><th>Invoice</th><th>Amount</th><th>Status</th><th></th></tr></thead><tbody>${rows}</tbody></table>${session.return_url ? `<p><a href="${session.return_url}">Return</a></p>` : ''}</main></body></html>`;
  };
  app.get<{ Params: { id: string } }>('/p/session/:id', async (request, reply) => {
    const session = state.portalSessions.get(request.params.id);
    if (!session) return reply.code(404).type('text/html').send('<h1>Not found</h1>');
    return reply.type('text/html; charset=utf-8').send(portalPage(session));
  });
  app.post<{ Params: { id: string; invoiceId: string } }>('/p/session/:id/pay/:invoiceId', async (request, reply) => {
    const session = state.portalSessions.get(request.params.id);
    const invoice = state.invoices.get(request.params.invoiceId);
    if (!session || !invoice || invoice.customer !== session.customer) return reply.code(404).type('text/html').send('<h1>Not found</h1>');
    try {
      payInvoice(state, invoice, { id: newId('req'), idempotencyKey: null });
    } catch (error) {
      if (!(error instanceof StripeFailure)) throw error;
      return reply.code(error.statusCode).type('text/html').send(`<h1>${error.body.message}</h1>`);
    }
    return reply.type('text/html; charset=utf-8').send(portalPage(session));
  });

  // -- the clock (test control)
  app.post<{ Body: { advance_seconds?: number; frozen_time?: number } | undefined }>(`${CONTROL_PREFIX}/stripe/clock`, async (request, reply) => {
    const body = typeof request.body === 'object' && request.body ? request.body : {};
    const target = body.frozen_time !== undefined ? Number(body.frozen_time) : clock(state) + Number(body.advance_seconds ?? 0);
    if (!Number.isFinite(target) || target < clock(state)) return reply.code(400).send({ error: { type: 'invalid_request_error', message: 'The clock only moves forward.' } });
    state.clockOffset += target - clock(state);
    advanceSubscriptions(state, simUrl(request));
    return { frozen_time: clock(state), offset_seconds: state.clockOffset };
  });
}
