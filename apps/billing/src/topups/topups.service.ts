import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { Outbox } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { BillingEnv } from '../config';
import { BillingFailure } from '../common/billing-failure';
import { autoTopUps, ledgerPostings } from '../common/billing.metrics';
import { Currency, LedgerService, LockedAccount, thresholdsOf } from '../ledger/ledger.service';
import { EffectivePrices, PricesService } from '../prices/prices.service';
import { CustomersService } from '../stripe/customers.service';
import { PaymentProviderUnavailable, StripeClient } from '../stripe/stripe.client';

export interface TopUpView {
  topUpId: string;
  kind: 'checkout' | 'auto';
  status: 'pending' | 'paid' | 'failed' | 'expired';
  amount: number;
  bonus: number;
  currency: Currency;
  checkoutUrl: string | null;
  checkoutSessionId: string | null;
  createdAt: string;
}

interface TopUpRow {
  id: string;
  company_id: string;
  kind: 'checkout' | 'auto';
  amount_minor: number;
  bonus_minor: number;
  currency: Currency;
  status: TopUpView['status'];
  stripe_checkout_session_id: string | null;
  stripe_payment_intent_id: string | null;
  checkout_url: string | null;
  created_at: Date;
}

const view = (r: TopUpRow): TopUpView => ({
  topUpId: r.id,
  kind: r.kind,
  status: r.status,
  amount: Number(r.amount_minor),
  bonus: Number(r.bonus_minor),
  currency: r.currency,
  checkoutUrl: r.checkout_url,
  checkoutSessionId: r.stripe_checkout_session_id,
  createdAt: new Date(r.created_at).toISOString(),
});

/** Stripe's minimum charge per currency: a smaller top-up would be refused by Stripe anyway. */
const MINIMUM_TOP_UP: Record<Currency, number> = { EUR: 50, USD: 50, GBP: 30 };
/** Automatic top-up attempts without an answer from Stripe before it is given up as failed. */
const MAX_AUTO_ATTEMPTS = 5;

/**
 * Prepaid top-ups: a Checkout Session per top-up (the business pays on Stripe's page), or an off-session
 * PaymentIntent on the saved card when the balance falls under the threshold and the company enabled auto top-up.
 * The ledger is credited only from Stripe's word that the money arrived (webhook or the PaymentIntent's own
 * answer), once, under the reference `topup:<id>`.
 */
@Injectable()
export class TopUpsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly runtime: MessagingRuntime,
    private readonly ledger: LedgerService,
    private readonly prices: PricesService,
    private readonly customers: CustomersService,
    private readonly stripe: StripeClient,
    @Inject(SERVICE_CONFIG) private readonly config: BillingEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  bonusFor(amount: number): number {
    const tier = this.config.BILLING_TOPUP_BONUS_TIERS.find((t) => amount >= t.minMinor);
    // Bonus credit is the business's gain: rounded down, never a fraction of a cent.
    return tier ? Number((BigInt(amount) * BigInt(tier.basisPoints)) / 10000n) : 0;
  }

  async createCheckout(input: { companyId: string; amount: number; currency: Currency; successUrl?: string; cancelUrl?: string; idempotencyKey?: string }): Promise<TopUpView> {
    const prices = await this.prices.effective(input.companyId);
    if (!prices) throw new BillingFailure('unknown_company', 'companyId: no billing set-up for this company');
    if (input.currency !== prices.currency) throw new BillingFailure('invalid_request', `currency: the company is billed in ${prices.currency}`);
    if (!Number.isSafeInteger(input.amount) || input.amount <= 0) throw new BillingFailure('invalid_request', 'amount: must be a positive whole number of minor units');
    if (input.amount < MINIMUM_TOP_UP[input.currency]) throw new BillingFailure('invalid_request', `amount: must be at least ${MINIMUM_TOP_UP[input.currency]} (Stripe's minimum)`);
    if (input.idempotencyKey) {
      const [existing] = await this.dataSource.query('SELECT * FROM top_up WHERE company_id = ? AND idempotency_key = ?', [input.companyId, input.idempotencyKey]);
      if (existing?.checkout_url) return view(existing);
    }
    const customerId = await this.customers.ensure(input.companyId, prices.currency);
    const id = randomUUID();
    const bonus = this.bonusFor(input.amount);
    try {
      await this.dataSource.query(
        `INSERT INTO top_up (id, company_id, kind, amount_minor, bonus_minor, currency, status, idempotency_key, created_at) VALUES (?, ?, 'checkout', ?, ?, ?, 'pending', ?, ?)`,
        [id, input.companyId, input.amount, bonus, input.currency, input.idempotencyKey ?? null, new Date()],
      );
    } catch (error) {
      // The same key raced in from a concurrent request: answer what that one created.
      if ((error as { errno?: number }).errno !== 1062) throw error;
      const [existing] = await this.dataSource.query('SELECT * FROM top_up WHERE company_id = ? AND idempotency_key = ?', [input.companyId, input.idempotencyKey]);
      if (existing?.checkout_url) return view(existing);
      throw new BillingFailure('invalid_request', 'idempotencyKey: a top-up with this key is being created; retry shortly');
    }
    const metadata = { company_id: input.companyId, top_up_id: id };
    let session: Stripe.Checkout.Session;
    try {
      session = await this.stripe.call('checkout.sessions.create', (s) =>
        s.checkout.sessions.create(
          {
            mode: 'payment',
            customer: customerId,
            client_reference_id: id,
            line_items: [
              { quantity: 1, price_data: { currency: input.currency.toLowerCase(), unit_amount: input.amount, product_data: { name: 'Prepaid balance top-up' } } },
            ],
            metadata,
            payment_intent_data: { metadata, ...(prices.autoTopUp ? { setup_future_usage: 'off_session' as const } : {}) },
            success_url: input.successUrl ?? `${this.config.BILLING_PORTAL_URL}?top_up=${id}&status=success`,
            cancel_url: input.cancelUrl ?? `${this.config.BILLING_PORTAL_URL}?top_up=${id}&status=cancelled`,
          },
          { idempotencyKey: `topup:${id}:session` },
        ),
      );
    } catch (error) {
      await this.dataSource.query(`UPDATE top_up SET status = 'failed', failure_reason = ?, completed_at = ? WHERE id = ?`, [String((error as Error).message).slice(0, 500), new Date(), id]);
      if (error instanceof PaymentProviderUnavailable) throw new BillingFailure('payment_provider_unavailable', 'Stripe is not reachable; nothing was charged');
      if (error instanceof Stripe.errors.StripeInvalidRequestError) throw new BillingFailure('invalid_request', `${error.param ?? 'amount'}: ${error.message}`);
      throw error;
    }
    await this.dataSource.query('UPDATE top_up SET stripe_checkout_session_id = ?, checkout_url = ? WHERE id = ?', [session.id, session.url, id]);
    const [row] = await this.dataSource.query('SELECT * FROM top_up WHERE id = ?', [id]);
    return view(row);
  }

  /**
   * Credits a paid top-up once, inside the caller's transaction (the Stripe-event inbox or our own). Returns false
   * when it had already been credited. The top-up's company is the one its row names, never one from the event.
   */
  async creditPaid(manager: EntityManager, topUpId: string, stripe: { paymentIntentId: string | null; objectId: string; paymentMethodId?: string | null; saveCard?: boolean }): Promise<boolean> {
    const [row]: TopUpRow[] = await manager.query('SELECT * FROM top_up WHERE id = ? FOR UPDATE', [topUpId]);
    if (!row) return false;
    // The card is saved even when checkout.session.completed credited the top-up before this event arrived.
    if (stripe.saveCard && stripe.paymentMethodId) {
      await manager.query('UPDATE billing_account SET default_payment_method_id = ?, updated_at = ? WHERE company_id = ?', [stripe.paymentMethodId, new Date(), row.company_id]);
    }
    if (row.status === 'paid') return false;
    const prices = await this.prices.effective(row.company_id, manager);
    const account = await this.ledger.lockAccount(manager, row.company_id, row.currency);
    const at = new Date();
    const credit = await this.ledger.post(manager, account, { kind: 'top_up', amount: Number(row.amount_minor), reference: `topup:${row.id}`, description: `Top-up ${row.kind === 'auto' ? '(automatic) ' : ''}${row.id}`, occurredAt: at });
    if (Number(row.bonus_minor) > 0) {
      await this.ledger.post(manager, account, { kind: 'bonus', amount: Number(row.bonus_minor), reference: `topup-bonus:${row.id}`, description: `Top-up bonus ${row.id}`, asBonus: true, occurredAt: at });
      ledgerPostings().inc({ kind: 'bonus' });
    }
    if (credit) ledgerPostings().inc({ kind: 'top_up' });
    await manager.query(
      `UPDATE top_up SET status = 'paid', completed_at = ?, failure_reason = NULL, stripe_payment_intent_id = COALESCE(stripe_payment_intent_id, ?) WHERE id = ?`,
      [at, stripe.paymentIntentId, row.id],
    );
    await this.outbox.add(manager, {
      topic: Topics.paymentSucceeded.name,
      key: row.company_id,
      companyId: row.company_id,
      subject: row.id,
      data: {
        paymentId: row.id,
        amount: Number(row.amount_minor),
        currency: row.currency,
        stripeObjectId: stripe.paymentIntentId ?? stripe.objectId,
        purpose: row.kind === 'auto' ? 'auto_top_up' : 'top_up',
        bonus: Number(row.bonus_minor),
        balanceAfter: account.balance,
      },
    });
    await this.ledger.settleState(
      manager,
      account,
      thresholdsOf(prices),
      (event) => this.outbox.add(manager, event),
    );
    return true;
  }

  /** A failed payment for a top-up; a top-up already paid stays paid (Stripe does not deliver in order). */
  async markFailed(manager: EntityManager, topUpId: string, stripeObjectId: string, reason: string | null): Promise<boolean> {
    const [row]: TopUpRow[] = await manager.query('SELECT * FROM top_up WHERE id = ? FOR UPDATE', [topUpId]);
    if (!row || row.status !== 'pending') return false;
    await manager.query(`UPDATE top_up SET status = 'failed', failure_reason = ?, completed_at = ? WHERE id = ?`, [reason?.slice(0, 500) ?? null, new Date(), topUpId]);
    await this.outbox.add(manager, {
      topic: Topics.paymentFailed.name,
      key: row.company_id,
      companyId: row.company_id,
      subject: row.id,
      data: { invoiceId: null, stripeObjectId, reason, topUpId: row.id },
    });
    return true;
  }

  async markExpired(manager: EntityManager, topUpId: string): Promise<void> {
    await manager.query(`UPDATE top_up SET status = 'expired', completed_at = ? WHERE id = ? AND status = 'pending'`, [new Date(), topUpId]);
  }

  async companyOf(manager: EntityManager, topUpId: string): Promise<string | null> {
    const [row] = await manager.query('SELECT company_id FROM top_up WHERE id = ?', [topUpId]);
    return row?.company_id ?? null;
  }

  async findBySession(manager: EntityManager, sessionId: string): Promise<string | null> {
    const [row] = await manager.query('SELECT id FROM top_up WHERE stripe_checkout_session_id = ?', [sessionId]);
    return row?.id ?? null;
  }

  async list(companyId: string, limit = 20): Promise<TopUpView[]> {
    const rows = await this.dataSource.query('SELECT * FROM top_up WHERE company_id = ? ORDER BY created_at DESC LIMIT ?', [companyId, limit]);
    return rows.map(view);
  }

  /**
   * Inside a debit's transaction, with the account locked: when the debit took the balance under the threshold and
   * the company enabled auto top-up and has a saved card, records one pending automatic top-up for this crossing,
   * keyed `auto:<seq of the crossing debit>` (unique per company, so a redelivered or replayed debit cannot add a
   * second). A top-up still pending blocks another; a failed one is not retried until the balance has recovered and
   * falls again (no retry storm on a dead card). Charged after commit (chargeAuto) or, if the process dies first, by
   * the retry job. Returns its id.
   */
  async startAuto(manager: EntityManager, account: LockedAccount, prices: EffectivePrices): Promise<string | null> {
    if (!prices.autoTopUp || prices.topUpMinor < MINIMUM_TOP_UP[prices.currency]) return null;
    if (!account.defaultPaymentMethodId || !account.stripeCustomerId || account.currency !== prices.currency) return null;
    const [pending] = await manager.query(`SELECT id FROM top_up WHERE company_id = ? AND kind = 'auto' AND status = 'pending' LIMIT 1`, [account.companyId]);
    if (pending) return null;
    const id = randomUUID();
    const now = new Date();
    const result = await manager.query(
      `INSERT IGNORE INTO top_up (id, company_id, kind, amount_minor, bonus_minor, currency, status, idempotency_key, payment_method_id, next_attempt_at, created_at)
       VALUES (?, ?, 'auto', ?, 0, ?, 'pending', ?, ?, ?, ?)`,
      [id, account.companyId, prices.topUpMinor, prices.currency, `auto:${account.lastSeq}`, account.defaultPaymentMethodId, new Date(now.getTime() + this.config.BILLING_AUTO_TOPUP_RETRY_MS), now],
    );
    return (result as { affectedRows?: number }).affectedRows === 1 ? id : null;
  }

  /**
   * Charges a pending automatic top-up with one off-session PaymentIntent on the card recorded with it. The
   * Idempotency-Key is the top-up's own (`topup:<id>:intent`): the inline call after the debit, the retry job and a
   * replacement instance all get the same PaymentIntent, so the card is charged at most once. Succeeded → credited
   * (once, like the webhook); declined or refused → `payment.failed`, no credit; no answer → tried again later with
   * back-off, and after MAX_AUTO_ATTEMPTS given up as failed.
   */
  async chargeAuto(topUpId: string): Promise<void> {
    const [row]: (TopUpRow & { payment_method_id: string | null; attempts: number; stripe_customer_id: string | null })[] = await this.dataSource.query(
      `SELECT t.*, a.stripe_customer_id FROM top_up t JOIN billing_account a ON a.company_id = t.company_id WHERE t.id = ?`,
      [topUpId],
    );
    if (!row || row.kind !== 'auto' || row.status !== 'pending' || row.stripe_payment_intent_id) return;
    const companyId = row.company_id;
    const metadata = { company_id: companyId, top_up_id: row.id };
    try {
      if (!row.payment_method_id || !row.stripe_customer_id) throw new Stripe.errors.StripeInvalidRequestError({ message: 'no saved payment method', type: 'invalid_request_error' });
      const intent = await this.stripe.call('paymentIntents.create', (s) =>
        s.paymentIntents.create(
          {
            amount: Number(row.amount_minor),
            currency: row.currency.toLowerCase(),
            customer: row.stripe_customer_id!,
            payment_method: row.payment_method_id!,
            off_session: true,
            confirm: true,
            metadata,
            description: 'Automatic balance top-up',
          },
          { idempotencyKey: `topup:${row.id}:intent` },
        ),
      );
      await this.outbox.transaction(async (manager) => {
        // Any other status (processing) is settled by the payment_intent.* webhook, or by the job asking Stripe later.
        const recheck = intent.status === 'succeeded' ? null : new Date(Date.now() + this.config.BILLING_AUTO_TOPUP_RETRY_MS * 10);
        await manager.query('UPDATE top_up SET stripe_payment_intent_id = COALESCE(stripe_payment_intent_id, ?), attempts = attempts + 1, next_attempt_at = ? WHERE id = ?', [intent.id, recheck, row.id]);
        if (intent.status === 'succeeded') await this.creditPaid(manager, row.id, { paymentIntentId: intent.id, objectId: intent.id });
      });
    } catch (error) {
      if (error instanceof Stripe.errors.StripeCardError || error instanceof Stripe.errors.StripeInvalidRequestError) {
        // Stripe's answer is final for this card (declined, needs the customer, detached): one payment.failed.
        const intentId = (error.raw as { payment_intent?: { id?: string } })?.payment_intent?.id ?? null;
        autoTopUps().inc({ outcome: 'failed' });
        await this.outbox.transaction(async (manager) => {
          if (intentId) await manager.query('UPDATE top_up SET stripe_payment_intent_id = COALESCE(stripe_payment_intent_id, ?) WHERE id = ?', [intentId, row.id]);
          await this.markFailed(manager, row.id, intentId ?? row.id, error.message);
        });
        this.logger.warn({ companyId, topUpId: row.id, code: error.code }, 'automatic top-up declined');
        return;
      }
      const attempts = Number(row.attempts) + 1;
      if (attempts >= MAX_AUTO_ATTEMPTS) {
        autoTopUps().inc({ outcome: 'gave_up' });
        await this.outbox.transaction((manager) => this.markFailed(manager, row.id, row.id, `Stripe did not answer after ${attempts} attempts`));
      } else {
        const next = new Date(Date.now() + this.config.BILLING_AUTO_TOPUP_RETRY_MS * 2 ** (attempts - 1));
        await this.dataSource.query(`UPDATE top_up SET attempts = ?, next_attempt_at = ? WHERE id = ? AND status = 'pending'`, [attempts, next, row.id]);
      }
      this.logger.error({ err: error, companyId, topUpId: row.id, attempts }, 'automatic top-up: Stripe call failed; tried again later');
      return;
    } finally {
      this.runtime.relay.wake();
    }
    autoTopUps().inc({ outcome: 'charged' });
  }

  /**
   * The retry job: automatic top-ups still pending whose next attempt is due. Without a PaymentIntent they are
   * charged (same key); with one whose webhook never settled them, Stripe is asked for its state, so a lost webhook
   * neither loses a payment nor blocks the company's next automatic top-up for good.
   */
  async retryDueAuto(limit = 50): Promise<number> {
    const due: { id: string; stripe_payment_intent_id: string | null }[] = await this.dataSource.query(
      `SELECT id, stripe_payment_intent_id FROM top_up WHERE kind = 'auto' AND status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`,
      [new Date(), limit],
    );
    for (const row of due) {
      if (!row.stripe_payment_intent_id) {
        await this.chargeAuto(row.id);
        continue;
      }
      const intent = await this.stripe.call('paymentIntents.retrieve', (s) => s.paymentIntents.retrieve(row.stripe_payment_intent_id!));
      await this.outbox.transaction(async (manager) => {
        if (intent.status === 'succeeded') await this.creditPaid(manager, row.id, { paymentIntentId: intent.id, objectId: intent.id });
        else if (intent.status === 'requires_payment_method' || intent.status === 'canceled') await this.markFailed(manager, row.id, intent.id, intent.last_payment_error?.message ?? `payment ${intent.status}`);
        else await manager.query('UPDATE top_up SET next_attempt_at = ? WHERE id = ?', [new Date(Date.now() + this.config.BILLING_AUTO_TOPUP_RETRY_MS * 10), row.id]);
      });
      this.runtime.relay.wake();
    }
    return due.length;
  }
}
