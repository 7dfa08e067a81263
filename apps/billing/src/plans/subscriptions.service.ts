import { Inject, Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { Outbox } from '@receptionist/messaging';
import { MessagingRuntime, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { BillingEnv } from '../config';
import { BillingFailure } from '../common/billing-failure';
import { Currency, LedgerService } from '../ledger/ledger.service';
import { PricesService } from '../prices/prices.service';
import { CustomersService } from '../stripe/customers.service';
import { StripeClient } from '../stripe/stripe.client';
import { PLAN_IN_FORCE, PlanUsage, periodView } from './plan-usage';
import { PlansService } from './plans.service';

const at = (unix: number | null | undefined) => (unix ? new Date(unix * 1000) : null);
const itemOf = (sub: Stripe.Subscription) => sub.items.data[0];
export const subscriptionIdOf = (invoice: Stripe.Invoice) => {
  const s = invoice.parent?.subscription_details?.subscription;
  return typeof s === 'string' ? s : (s?.id ?? null);
};

/**
 * A company's plan subscription through Stripe Billing: subscribe, upgrade/downgrade (Stripe prorates and invoices
 * the difference at once), cancel at period end, the customer portal. Our row is a copy of Stripe's subscription,
 * refreshed from Stripe itself whenever a `customer.subscription.*` event arrives (Stripe does not deliver in
 * order; the object read afterwards is the latest, so any order of events ends in the same state).
 */
@Injectable()
export class SubscriptionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly stripe: StripeClient,
    private readonly plans: PlansService,
    private readonly planUsage: PlanUsage,
    private readonly customers: CustomersService,
    private readonly ledger: LedgerService,
    private readonly prices: PricesService,
    private readonly outbox: Outbox,
    private readonly runtime: MessagingRuntime,
    @Inject(SERVICE_CONFIG) private readonly config: BillingEnv,
  ) {}

  private async row(companyId: string, manager: EntityManager = this.dataSource.manager) {
    const [r] = await manager.query('SELECT * FROM subscription WHERE company_id = ?', [companyId]);
    return r as Record<string, any> | undefined;
  }

  async view(companyId: string): Promise<Record<string, unknown>> {
    const r = await this.row(companyId);
    if (!r) return { subscription: null };
    const [usage] = await this.dataSource.query('SELECT * FROM plan_usage WHERE company_id = ? AND period_start = ?', [companyId, r.current_period_start]);
    const invoices = await this.dataSource.query(
      `SELECT stripe_invoice_id, status, billing_reason, amount_due_minor, amount_paid_minor, currency, attempt_count, number, hosted_invoice_url, created_at
       FROM subscription_invoice WHERE company_id = ? ORDER BY created_at DESC LIMIT 12`,
      [companyId],
    );
    return {
      subscription: {
        planCode: r.plan_code,
        plan: await this.plans.get(r.plan_code),
        currency: r.currency,
        status: r.status,
        stripeSubscriptionId: r.stripe_subscription_id,
        currentPeriodStart: r.current_period_start ? new Date(r.current_period_start).toISOString() : null,
        currentPeriodEnd: r.current_period_end ? new Date(r.current_period_end).toISOString() : null,
        trialEnd: r.trial_end ? new Date(r.trial_end).toISOString() : null,
        cancelAtPeriodEnd: Boolean(Number(r.cancel_at_period_end)),
        refusalMessage: r.refusal_message,
        upcomingAmount: r.upcoming_amount_minor === null ? null : Number(r.upcoming_amount_minor),
        // What the business sees of a failed payment: the grace period, the reminders sent, and whether calls are refused.
        dunning: { state: r.dunning, graceUntil: r.grace_until ? new Date(r.grace_until).toISOString() : null, reminders: Number(r.reminders), callsRefused: r.dunning === 'refusing' },
        currentPeriod: usage ? periodView(usage) : null,
        invoices: invoices.map((i: Record<string, any>) => ({
          stripeInvoiceId: i.stripe_invoice_id,
          status: i.status,
          billingReason: i.billing_reason,
          amountDue: Number(i.amount_due_minor),
          amountPaid: Number(i.amount_paid_minor),
          currency: i.currency,
          attempts: Number(i.attempt_count),
          number: i.number,
          hostedInvoiceUrl: i.hosted_invoice_url,
          createdAt: new Date(i.created_at).toISOString(),
        })),
      },
    };
  }

  async create(input: { companyId: string; planCode: string; currency: Currency; refusalMessage?: string | null; idempotencyKey?: string }) {
    const { companyId, currency } = input;
    const plan = await this.plans.get(input.planCode);
    if (!plan || !plan.active) throw new BillingFailure('invalid_request', `planCode: no plan ${input.planCode} on offer`);
    if (!plan.prices[currency]) throw new BillingFailure('invalid_request', `currency: plan ${plan.code} has no price in ${currency} (it has ${Object.keys(plan.prices).join(', ')})`);
    const accountCurrency = (await this.ledger.balance(this.dataSource.manager, companyId))?.currency ?? (await this.prices.effective(companyId))?.currency;
    if (accountCurrency && accountCurrency !== currency) throw new BillingFailure('invalid_request', `currency: the company's account is in ${accountCurrency}`);
    const existing = await this.row(companyId);
    if (existing && existing.status !== 'canceled') throw new BillingFailure('conflict', `planCode: the company already subscribes to ${existing.plan_code}; change that subscription instead`);
    const customer = await this.customers.ensure(companyId, currency);
    const price = await this.plans.stripePrice(plan, currency);
    // A retry of this request gives the same key (the same subscription); after a cancellation a new one is possible.
    const key = `subscription:${companyId}:${existing?.stripe_subscription_id ?? 'first'}:${input.idempotencyKey ?? `${plan.code}:${currency}`}`;
    const sub = await this.stripe.call('subscriptions.create', (s) =>
      s.subscriptions.create(
        { customer, items: [{ price }], ...(plan.trialDays > 0 ? { trial_period_days: plan.trialDays } : {}), metadata: { company_id: companyId, plan_code: plan.code } },
        { idempotencyKey: key },
      ),
    );
    await this.outbox.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO subscription (company_id, plan_code, currency, status, refusal_message, created_at, updated_at) VALUES (?, ?, ?, 'incomplete', ?, ?, ?)
         ON DUPLICATE KEY UPDATE plan_code = VALUES(plan_code), currency = VALUES(currency), refusal_message = COALESCE(VALUES(refusal_message), refusal_message), updated_at = VALUES(updated_at)`,
        [companyId, plan.code, currency, input.refusalMessage ?? null, new Date(), new Date()],
      );
      await this.applySubscription(manager, companyId, sub);
    });
    return this.view(companyId);
  }

  async update(input: { companyId: string; planCode?: string; cancelAtPeriodEnd?: boolean; refusalMessage?: string | null }) {
    const { companyId } = input;
    const r = await this.row(companyId);
    if (!r || r.status === 'canceled' || !r.stripe_subscription_id) throw new BillingFailure('conflict', `planCode: the company has no subscription; subscribe first`);
    const subId = r.stripe_subscription_id as string;
    const version = new Date(r.updated_at).getTime();
    if (input.planCode !== undefined && input.planCode !== r.plan_code) {
      const plan = await this.plans.get(input.planCode);
      if (!plan || !plan.active) throw new BillingFailure('invalid_request', `planCode: no plan ${input.planCode} on offer`);
      if (!plan.prices[r.currency as Currency]) throw new BillingFailure('invalid_request', `planCode: plan ${plan.code} has no price in the subscription's currency ${r.currency}`);
      const [usage] = await this.dataSource.query('SELECT used_seconds, used_bookings FROM plan_usage WHERE company_id = ? AND period_start = ?', [companyId, r.current_period_start]);
      const usedMinutes = Math.ceil(Number(usage?.used_seconds ?? 0) / 60);
      if (usedMinutes > plan.includedMinutes) throw new BillingFailure('conflict', `planCode: this period's usage (${usedMinutes} min) is more than plan ${plan.code} includes (${plan.includedMinutes} min); change at the end of the period`);
      if (Number(usage?.used_bookings ?? 0) > plan.includedBookings) throw new BillingFailure('conflict', `planCode: this period's ${usage.used_bookings} bookings are more than plan ${plan.code} includes (${plan.includedBookings})`);
      const price = await this.plans.stripePrice(plan, r.currency);
      const current = await this.stripe.call('subscriptions.retrieve', (s) => s.subscriptions.retrieve(subId));
      const sub = await this.stripe.call('subscriptions.update', (s) =>
        s.subscriptions.update(
          subId,
          { items: [{ id: itemOf(current).id, price }], proration_behavior: 'always_invoice', metadata: { plan_code: plan.code } },
          { idempotencyKey: `subscription-change:${subId}:${plan.code}:${version}` },
        ),
      );
      await this.outbox.transaction(async (manager) => {
        await manager.query('UPDATE subscription SET plan_code = ?, updated_at = ? WHERE company_id = ?', [plan.code, new Date(), companyId]);
        // The new allowance applies to the rest of this period.
        await manager.query('UPDATE plan_usage SET plan_code = ?, postpaid = ?, included_seconds = ?, included_bookings = ? WHERE company_id = ? AND period_start = ?', [
          plan.code, plan.postpaid ? 1 : 0, plan.includedMinutes * 60, plan.includedBookings, companyId, r.current_period_start,
        ]);
        await this.applySubscription(manager, companyId, sub);
      });
    }
    if (input.cancelAtPeriodEnd !== undefined) {
      const sub = await this.stripe.call('subscriptions.update', (s) =>
        s.subscriptions.update(subId, { cancel_at_period_end: input.cancelAtPeriodEnd }, { idempotencyKey: `subscription-cancel:${subId}:${input.cancelAtPeriodEnd}:${version}` }),
      );
      await this.outbox.transaction((manager) => this.applySubscription(manager, companyId, sub));
    }
    if (input.refusalMessage !== undefined) {
      await this.outbox.transaction(async (manager) => {
        await manager.query('UPDATE subscription SET refusal_message = ?, updated_at = ? WHERE company_id = ?', [input.refusalMessage, new Date(), companyId]);
        // Calls refused right now are refused with the new words from the next call on.
        if (r.dunning === 'refusing') await this.publishSuspended(manager, companyId, null, input.refusalMessage ?? null);
      });
      this.runtime.relay.wake();
    }
    return this.view(companyId);
  }

  async portal(companyId: string, returnUrl?: string) {
    const [account] = await this.dataSource.query('SELECT stripe_customer_id FROM billing_account WHERE company_id = ?', [companyId]);
    if (!account?.stripe_customer_id) throw new BillingFailure('conflict', 'companyId: the company has no Stripe customer yet (subscribe or top up first)');
    const session = await this.stripe.call('billingPortal.sessions.create', (s) => s.billingPortal.sessions.create({ customer: account.stripe_customer_id, return_url: returnUrl ?? this.config.BILLING_PORTAL_URL }));
    return { url: session.url, expiresAt: null, id: session.id };
  }

  /** Stripe's view of the subscription, as read just now, copied onto our row (the company comes from metadata). */
  async applySubscription(manager: EntityManager, companyId: string, sub: Stripe.Subscription): Promise<void> {
    const item = itemOf(sub);
    const planCode = sub.metadata?.plan_code ?? (typeof item.price === 'string' ? null : item.price.metadata?.plan_code) ?? null;
    const now = new Date();
    await manager.query(
      `INSERT INTO subscription (company_id, plan_code, currency, stripe_subscription_id, status, current_period_start, current_period_end, trial_end, cancel_at_period_end, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE plan_code = COALESCE(VALUES(plan_code), plan_code), currency = VALUES(currency), stripe_subscription_id = VALUES(stripe_subscription_id), status = VALUES(status),
         current_period_start = VALUES(current_period_start), current_period_end = VALUES(current_period_end), trial_end = VALUES(trial_end),
         cancel_at_period_end = VALUES(cancel_at_period_end), updated_at = VALUES(updated_at)`,
      [companyId, planCode, sub.currency.toUpperCase(), sub.id, sub.status, at(item.current_period_start), at(item.current_period_end), at(sub.trial_end), sub.cancel_at_period_end ? 1 : 0, now, now],
    );
    // An invoice event may have come before the subscription was ours to know: its dunning is decided now.
    await this.recomputeDunning(manager, companyId, null);
  }

  /** `customer.subscription.*`: the company named by the subscription's metadata, if its Stripe customer is that company's. */
  async companyOfSubscription(manager: EntityManager, sub: Stripe.Subscription): Promise<string | null> {
    const customerId = typeof sub.customer === 'string' ? sub.customer : sub.customer.id;
    const [byCustomer] = await manager.query('SELECT company_id FROM billing_account WHERE stripe_customer_id = ?', [customerId]);
    if (!byCustomer) return null;
    if (sub.metadata?.company_id && sub.metadata.company_id !== byCustomer.company_id) return null;
    return byCustomer.company_id;
  }

  /**
   * A subscription invoice's state (forward only: open → payment_failed → paid/void; a paid invoice stays paid
   * whatever arrives later), a postpaid plan's overage paid with it credited back to the ledger once, and the
   * company's dunning state recomputed from all its invoices, so duplicates and any order end the same.
   */
  async applyInvoice(manager: EntityManager, companyId: string, invoice: Stripe.Invoice, type: string): Promise<void> {
    const status = type === 'invoice.paid' ? 'paid' : type === 'invoice.payment_failed' ? 'payment_failed' : type === 'invoice.voided' ? 'void' : 'open';
    const now = new Date();
    await manager.query(
      `INSERT INTO subscription_invoice (stripe_invoice_id, company_id, stripe_subscription_id, status, billing_reason, amount_due_minor, amount_paid_minor, currency, attempt_count, number, hosted_invoice_url, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE
         status = IF(status IN ('paid', 'void') OR VALUES(status) = 'open', status, VALUES(status)),
         amount_paid_minor = GREATEST(amount_paid_minor, VALUES(amount_paid_minor)), attempt_count = GREATEST(attempt_count, VALUES(attempt_count)),
         number = COALESCE(number, VALUES(number)), hosted_invoice_url = COALESCE(hosted_invoice_url, VALUES(hosted_invoice_url)), updated_at = VALUES(updated_at)`,
      [invoice.id, companyId, subscriptionIdOf(invoice), status, invoice.billing_reason ?? null, invoice.amount_due, status === 'paid' ? invoice.amount_paid : 0, invoice.currency.toUpperCase(), invoice.attempt_count ?? 0, invoice.number ?? null, invoice.hosted_invoice_url ?? null, new Date(invoice.created * 1000), now],
    );
    if (status === 'paid') {
      const overage = (invoice.lines?.data ?? []).filter((l) => l.metadata?.kind === 'plan_overage').reduce((a, l) => a + l.amount, 0);
      if (overage > 0) {
        const account = await this.ledger.lockExisting(manager, companyId);
        if (account) {
          await this.ledger.post(manager, account, { kind: 'plan_settlement', amount: overage, reference: `plan-invoice:${invoice.id}`, description: `Plan overage paid with Stripe invoice ${invoice.number ?? invoice.id}`, occurredAt: new Date(invoice.created * 1000) });
        }
      }
    }
    await this.recomputeDunning(manager, companyId, invoice);
  }

  /** Unpaid (a failed invoice not paid since) → grace period with a first reminder; all paid → calls taken again at once. */
  async recomputeDunning(manager: EntityManager, companyId: string, invoice: Stripe.Invoice | null): Promise<void> {
    const [r] = await manager.query('SELECT dunning, plan_code FROM subscription WHERE company_id = ? FOR UPDATE', [companyId]);
    if (!r) return;
    const failed: { stripe_invoice_id: string; amount_due_minor: string; currency: string }[] = await manager.query(
      `SELECT stripe_invoice_id, amount_due_minor, currency FROM subscription_invoice WHERE company_id = ? AND status = 'payment_failed' ORDER BY created_at`,
      [companyId],
    );
    const now = new Date();
    if (failed.length > 0 && r.dunning === 'ok') {
      const graceUntil = new Date(now.getTime() + this.config.BILLING_DUNNING_GRACE_MS);
      await manager.query(`UPDATE subscription SET dunning = 'grace', grace_until = ?, reminders = 1, last_reminder_at = ?, updated_at = ? WHERE company_id = ?`, [graceUntil, now, now, companyId]);
      await this.outbox.add(manager, {
        topic: Topics.planPaymentOverdue.name,
        key: companyId,
        companyId,
        subject: failed[0].stripe_invoice_id,
        data: { stripeInvoiceId: failed[0].stripe_invoice_id, amountDue: Number(failed[0].amount_due_minor), currency: failed[0].currency as Currency, graceEndsAt: graceUntil.toISOString(), reminder: 1, planCode: r.plan_code },
      });
    } else if (failed.length === 0 && r.dunning !== 'ok') {
      await manager.query(`UPDATE subscription SET dunning = 'ok', grace_until = NULL, updated_at = ? WHERE company_id = ?`, [now, companyId]);
      if (r.dunning === 'refusing') {
        await this.outbox.add(manager, { topic: Topics.planReinstated.name, key: companyId, companyId, subject: companyId, data: { stripeInvoiceId: invoice?.id ?? null } });
      }
    }
  }

  async publishSuspended(manager: EntityManager, companyId: string, stripeInvoiceId: string | null, message: string | null) {
    const [first] = stripeInvoiceId ? [{ stripe_invoice_id: stripeInvoiceId }] : await manager.query(`SELECT stripe_invoice_id FROM subscription_invoice WHERE company_id = ? AND status = 'payment_failed' ORDER BY created_at LIMIT 1`, [companyId]);
    await this.outbox.add(manager, { topic: Topics.planSuspended.name, key: companyId, companyId, subject: companyId, data: { stripeInvoiceId: first?.stripe_invoice_id ?? 'unknown', message } });
  }

  /** `invoice.upcoming`: what the next renewal will charge (shown to the business). */
  async applyUpcoming(manager: EntityManager, companyId: string, invoice: Stripe.Invoice): Promise<void> {
    await manager.query('UPDATE subscription SET upcoming_amount_minor = ?, updated_at = ? WHERE company_id = ?', [invoice.amount_due, new Date(), companyId]);
  }

  /** Plans in force and their periods (the admin API's usage per period). */
  async periods(companyId: string, limit: number) {
    const r = await this.row(companyId);
    return { periods: await this.planUsage.periods(companyId, limit), planInForce: r ? PLAN_IN_FORCE.includes(r.status) : false };
  }

  /** Re-reads a subscription from Stripe (events arrive in any order; the object read now is the latest). */
  async fetch(subscriptionId: string): Promise<Stripe.Subscription> {
    return this.stripe.call('subscriptions.retrieve', (s) => s.subscriptions.retrieve(subscriptionId));
  }
}
