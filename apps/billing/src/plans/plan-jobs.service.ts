import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { Outbox } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { BillingEnv } from '../config';
import type { Currency } from '../ledger/ledger.service';
import { StripeClient } from '../stripe/stripe.client';
import { SubscriptionsService } from './subscriptions.service';

/** Invoice items created at once: well under Stripe's rate limit (100 writes/s live), enough to hide its latency. */
const STRIPE_CONCURRENCY = 8;

export interface PeriodCloseResult {
  closed: number;
  invoiceItems: number;
  failed: number;
}

/**
 * The plans' periodic work, safe on several instances at once (conditional updates, Stripe idempotency keys):
 * - dunning: during a grace period a reminder every BILLING_DUNNING_REMINDER_MS; when it ends unpaid, `plan.suspended`
 *   (the gateway refuses the company's calls with its message) until `invoice.paid` reinstates it;
 * - period close: a period the subscription has moved past is closed; a postpaid plan's overage becomes one Stripe
 *   invoice item, which Stripe puts on the next subscription invoice (overage billed in arrears).
 */
@Injectable()
export class PlanJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly stripe: StripeClient,
    private readonly subscriptions: SubscriptionsService,
    private readonly runtime: MessagingRuntime,
    @Inject(SERVICE_CONFIG) private readonly config: BillingEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = Promise.all([this.dunning(), this.closePeriods()])
        .catch((error) => this.logger.error({ err: error }, 'plan jobs failed'))
        .finally(() => (this.running = null));
    }, this.config.BILLING_PLAN_JOBS_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Reminders and refusals due now. Returns how many companies changed. */
  async dunning(now = new Date()): Promise<number> {
    const due: { company_id: string; grace_until: Date; last_reminder_at: Date | null; reminders: number; refusal_message: string | null; plan_code: string }[] = await this.dataSource.query(
      `SELECT company_id, grace_until, last_reminder_at, reminders, refusal_message, plan_code FROM subscription
       WHERE dunning = 'grace' AND (grace_until <= ? OR last_reminder_at <= ?) LIMIT 500`,
      [now, new Date(now.getTime() - this.config.BILLING_DUNNING_REMINDER_MS)],
    );
    let changed = 0;
    for (const d of due) {
      await this.outbox.transaction(async (manager) => {
        const [r] = await manager.query(`SELECT dunning, grace_until, last_reminder_at, reminders, refusal_message FROM subscription WHERE company_id = ? FOR UPDATE`, [d.company_id]);
        if (r?.dunning !== 'grace') return;
        const [failed] = await manager.query(`SELECT stripe_invoice_id, amount_due_minor, currency FROM subscription_invoice WHERE company_id = ? AND status = 'payment_failed' ORDER BY created_at LIMIT 1`, [d.company_id]);
        if (!failed) return;
        if (new Date(r.grace_until) <= now) {
          await manager.query(`UPDATE subscription SET dunning = 'refusing', updated_at = ? WHERE company_id = ?`, [now, d.company_id]);
          await this.subscriptions.publishSuspended(manager, d.company_id, failed.stripe_invoice_id, r.refusal_message);
        } else {
          await manager.query('UPDATE subscription SET reminders = reminders + 1, last_reminder_at = ?, updated_at = ? WHERE company_id = ?', [now, now, d.company_id]);
          await this.outbox.add(manager, {
            topic: Topics.planPaymentOverdue.name,
            key: d.company_id,
            companyId: d.company_id,
            subject: failed.stripe_invoice_id,
            data: { stripeInvoiceId: failed.stripe_invoice_id, amountDue: Number(failed.amount_due_minor), currency: failed.currency as Currency, graceEndsAt: new Date(r.grace_until).toISOString(), reminder: Number(r.reminders) + 1, planCode: d.plan_code },
          });
        }
        changed += 1;
      });
    }
    if (changed) this.runtime.relay.wake();
    return changed;
  }

  /**
   * Closes every period its subscription has moved past (or whose subscription ended), in pages of `pageSize`:
   * periods without postpaid overage in one UPDATE per page; each postpaid overage as one Stripe invoice item
   * (idempotency key per company and period, STRIPE_CONCURRENCY at a time), then the page's invoiced rows in one UPDATE.
   */
  async closePeriods(pageSize = 1000): Promise<PeriodCloseResult> {
    const result: PeriodCloseResult = { closed: 0, invoiceItems: 0, failed: 0 };
    let after = '';
    for (;;) {
      const rows: { company_id: string; period_start: Date; postpaid: number; overage_minor: string; currency: string; plan_code: string; stripe_invoice_item_id: string | null; customer: string | null }[] = await this.dataSource.query(
        `SELECT u.company_id, u.period_start, u.postpaid, u.overage_minor, u.currency, u.plan_code, u.stripe_invoice_item_id, a.stripe_customer_id AS customer
         FROM plan_usage u JOIN subscription s ON s.company_id = u.company_id LEFT JOIN billing_account a ON a.company_id = u.company_id
         WHERE u.closed_at IS NULL AND u.company_id > ? AND (s.current_period_start > u.period_start OR s.status = 'canceled')
         ORDER BY u.company_id LIMIT ?`,
        [after, pageSize],
      );
      if (rows.length === 0) return result;
      after = rows[rows.length - 1].company_id;
      const plain = rows.filter((r) => !(Number(r.postpaid) && Number(r.overage_minor) > 0) || r.stripe_invoice_item_id);
      if (plain.length) {
        const res: { affectedRows?: number } = await this.dataSource.query(
          `UPDATE plan_usage SET closed_at = ? WHERE closed_at IS NULL AND (company_id, period_start) IN (${plain.map(() => '(?, ?)').join(',')})`,
          [new Date(), ...plain.flatMap((r) => [r.company_id, r.period_start])],
        );
        result.closed += res.affectedRows ?? 0;
      }
      // Postpaid overage: one invoice item each (Stripe has no batch call), a few at a time, then one UPDATE for the page.
      const invoiced: { companyId: string; periodStart: Date; itemId: string }[] = [];
      const pending = rows.filter((x) => !plain.includes(x));
      for (let i = 0; i < pending.length; i += STRIPE_CONCURRENCY) {
        await Promise.all(
          pending.slice(i, i + STRIPE_CONCURRENCY).map(async (r) => {
            try {
              if (!r.customer) throw new Error('no Stripe customer');
              const start = new Date(r.period_start).toISOString();
              const item = await this.stripe.call('invoiceItems.create', (s) =>
                s.invoiceItems.create(
                  {
                    customer: r.customer!,
                    amount: Number(r.overage_minor),
                    currency: r.currency.toLowerCase(),
                    description: `Overage beyond plan ${r.plan_code}, period from ${start.slice(0, 10)}`,
                    metadata: { company_id: r.company_id, kind: 'plan_overage', period_start: start },
                  },
                  { idempotencyKey: `plan-overage:${r.company_id}:${start}` },
                ),
              );
              invoiced.push({ companyId: r.company_id, periodStart: r.period_start, itemId: item.id });
            } catch (error) {
              // Left open: the next round tries again with the same key (Stripe answers the same item, never a second).
              result.failed += 1;
              this.logger.warn({ companyId: r.company_id, err: { message: (error as Error).message } }, 'postpaid overage not invoiced this round');
            }
          }),
        );
      }
      if (invoiced.length) {
        const res: { affectedRows?: number } = await this.dataSource.query(
          `UPDATE plan_usage SET closed_at = ?, stripe_invoice_item_id = CASE ${invoiced.map(() => 'WHEN company_id = ? AND period_start = ? THEN ?').join(' ')} END
           WHERE closed_at IS NULL AND (company_id, period_start) IN (${invoiced.map(() => '(?, ?)').join(',')})`,
          [new Date(), ...invoiced.flatMap((x) => [x.companyId, x.periodStart, x.itemId]), ...invoiced.flatMap((x) => [x.companyId, x.periodStart])],
        );
        result.closed += res.affectedRows ?? 0;
        result.invoiceItems += invoiced.length;
      }
      if (rows.length < pageSize) return result;
    }
  }
}
