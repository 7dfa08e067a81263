import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { Outbox } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime } from '@receptionist/service-runtime';
import { BillingFailure } from '../common/billing-failure';
import type { Currency } from '../ledger/ledger.service';
import { PricesService } from '../prices/prices.service';
import { CustomersService } from '../stripe/customers.service';
import { PaymentProviderUnavailable, StripeClient } from '../stripe/stripe.client';

export type InvoiceStatus = 'creating' | 'open' | 'paid' | 'payment_failed' | 'void';

export interface InvoiceLine {
  kind: 'talk_time' | 'booking_fee';
  description: string;
  quantity: number;
  amount: number;
}

export interface InvoiceView {
  invoiceId: string;
  period: string;
  status: InvoiceStatus;
  number: string | null;
  currency: Currency;
  total: number;
  tax: number | null;
  vatBasisPoints: number;
  lines: InvoiceLine[];
  hostedInvoiceUrl: string | null;
  pdfUrl: string | null;
  createdAt: string;
  paidAt: string | null;
}

const RANK: Record<InvoiceStatus, number> = { creating: 0, open: 1, payment_failed: 2, paid: 3, void: 3 };

const view = (r: Record<string, any>): InvoiceView => ({
  invoiceId: r.id,
  period: r.period,
  status: r.status,
  number: r.number,
  currency: r.currency,
  total: Number(r.total_minor),
  tax: r.tax_minor === null ? null : Number(r.tax_minor),
  vatBasisPoints: Number(r.vat_basis_points),
  lines: typeof r.line_items === 'string' ? JSON.parse(r.line_items) : r.line_items,
  hostedInvoiceUrl: r.hosted_invoice_url,
  pdfUrl: r.invoice_pdf,
  createdAt: new Date(r.created_at).toISOString(),
  paidAt: r.paid_at ? new Date(r.paid_at).toISOString() : null,
});

const DESCRIPTIONS: Record<InvoiceLine['kind'], string> = { talk_time: 'Talk time', booking_fee: 'Booking fees' };

/** Period bounds in unix seconds (UTC month). */
function periodBounds(period: string): { start: number; end: number } {
  const [y, m] = period.split('-').map(Number);
  return { start: Date.UTC(y, m - 1, 1) / 1000, end: Date.UTC(y, m, 1) / 1000 - 1 };
}

/**
 * Monthly (and on demand) invoices of a company's usage: one line per kind of usage, summed exactly from the rated
 * usage of the month. Prices are what the prepaid balance was debited with, so VAT is an inclusive rate (the
 * company's, 19 % by default) shown on the invoice, and the invoice is settled out of band: it was paid from the
 * balance, and charging it again would charge twice. Each Stripe write carries a key derived from the invoice id,
 * so a run interrupted anywhere resumes without duplicates; one invoice per company and month (unique).
 */
@Injectable()
export class InvoicesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly runtime: MessagingRuntime,
    private readonly prices: PricesService,
    private readonly customers: CustomersService,
    private readonly stripe: StripeClient,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async list(companyId: string, limit = 24): Promise<InvoiceView[]> {
    const rows = await this.dataSource.query('SELECT * FROM invoice WHERE company_id = ? ORDER BY period DESC LIMIT ?', [companyId, limit]);
    return rows.map(view);
  }

  async get(companyId: string, invoiceId: string): Promise<InvoiceView | null> {
    const [row] = await this.dataSource.query('SELECT * FROM invoice WHERE company_id = ? AND id = ?', [companyId, invoiceId]);
    return row ? view(row) : null;
  }

  async createForPeriod(companyId: string, period: string): Promise<InvoiceView> {
    const prices = await this.prices.effective(companyId);
    if (!prices) throw new BillingFailure('unknown_company', 'companyId: no billing set-up for this company');
    const [existing] = await this.dataSource.query('SELECT * FROM invoice WHERE company_id = ? AND period = ?', [companyId, period]);
    if (existing && existing.status !== 'creating') return view(existing);
    let row = existing;
    if (!row) {
      const [unrated] = await this.dataSource.query(`SELECT COUNT(*) AS n FROM usage_charge WHERE company_id = ? AND period = ? AND status = 'unpriced'`, [companyId, period]);
      if (Number(unrated.n) > 0) throw new BillingFailure('usage_not_rated', `period: ${unrated.n} usage records of ${period} are not rated yet`);
      const sums: { kind: InvoiceLine['kind']; quantity: string; amount: string }[] = await this.dataSource.query(
        `SELECT kind, SUM(quantity - free_quantity) AS quantity, SUM(amount_minor) AS amount FROM usage_charge
         WHERE company_id = ? AND period = ? AND status = 'charged' GROUP BY kind ORDER BY kind DESC`,
        [companyId, period],
      );
      const lines: InvoiceLine[] = sums
        .filter((s) => Number(s.amount) > 0)
        .map((s) => ({ kind: s.kind, description: `${DESCRIPTIONS[s.kind]} ${period}`, quantity: Number(s.quantity), amount: Number(s.amount) }));
      if (lines.length === 0) throw new BillingFailure('nothing_to_invoice', `period: no charged usage in ${period}`);
      const total = lines.reduce((a, l) => a + l.amount, 0);
      const id = randomUUID();
      await this.dataSource.query(
        `INSERT IGNORE INTO invoice (id, company_id, period, status, currency, vat_basis_points, total_minor, line_items, created_at) VALUES (?, ?, ?, 'creating', ?, ?, ?, ?, ?)`,
        [id, companyId, period, prices.currency, prices.vatBasisPoints, total, JSON.stringify(lines), new Date()],
      );
      [row] = await this.dataSource.query('SELECT * FROM invoice WHERE company_id = ? AND period = ?', [companyId, period]);
      if (row.status !== 'creating') return view(row);
    }
    try {
      await this.pushToStripe(row, companyId);
    } catch (error) {
      if (error instanceof PaymentProviderUnavailable) throw new BillingFailure('payment_provider_unavailable', 'Stripe is not reachable; the invoice is completed on the next run');
      throw error;
    }
    const [after] = await this.dataSource.query('SELECT * FROM invoice WHERE id = ?', [row.id]);
    return view(after);
  }

  private async pushToStripe(row: Record<string, any>, companyId: string) {
    const id: string = row.id;
    const currency = (row.currency as string).toLowerCase();
    const lines: InvoiceLine[] = typeof row.line_items === 'string' ? JSON.parse(row.line_items) : row.line_items;
    const customer = await this.customers.ensure(companyId, row.currency);
    const vat = Number(row.vat_basis_points);
    const taxRate = await this.stripe.call('taxRates.create', (s) =>
      s.taxRates.create(
        { display_name: 'VAT', percentage: vat / 100, inclusive: true, metadata: { basis_points: String(vat) } },
        { idempotencyKey: `invoice:${id}:tax-rate` },
      ),
    );
    const metadata = { company_id: companyId, invoice_id: id, period: row.period };
    let invoice = await this.stripe.call('invoices.create', (s) =>
      s.invoices.create(
        {
          customer,
          currency,
          collection_method: 'send_invoice',
          days_until_due: 14,
          auto_advance: false,
          pending_invoice_items_behavior: 'exclude',
          description: `Usage ${row.period} (paid from the prepaid balance)`,
          metadata,
        },
        { idempotencyKey: `invoice:${id}:create` },
      ),
    );
    await this.dataSource.query('UPDATE invoice SET stripe_invoice_id = ? WHERE id = ?', [invoice.id, id]);
    const bounds = periodBounds(row.period);
    for (const line of lines) {
      await this.stripe.call('invoiceItems.create', (s) =>
        s.invoiceItems.create(
          { customer, invoice: invoice.id!, amount: line.amount, currency, description: line.description, tax_rates: [taxRate.id], period: bounds, metadata: { ...metadata, kind: line.kind } },
          { idempotencyKey: `invoice:${id}:item:${line.kind}` },
        ),
      );
    }
    invoice = await this.stripe.call('invoices.finalize', (s) => s.invoices.finalizeInvoice(invoice.id!, {}, { idempotencyKey: `invoice:${id}:finalize` }));
    if (invoice.total !== Number(row.total_minor)) {
      // Never send an invoice whose total differs from what was debited.
      this.logger.error({ invoiceId: id, stripeTotal: invoice.total, total: Number(row.total_minor) }, 'Stripe invoice total differs from the usage; not sent');
      throw new Error(`invoice ${id}: Stripe total ${invoice.total} differs from usage ${row.total_minor}`);
    }
    await this.outbox.transaction((manager) => this.applyStripeInvoice(manager, invoice));
    invoice = await this.stripe.call('invoices.send', (s) => s.invoices.sendInvoice(invoice.id!, {}, { idempotencyKey: `invoice:${id}:send` }));
    invoice = await this.stripe.call('invoices.pay', (s) => s.invoices.pay(invoice.id!, { paid_out_of_band: true }, { idempotencyKey: `invoice:${id}:pay` }));
    await this.outbox.transaction((manager) => this.applyStripeInvoice(manager, invoice));
    this.runtime.relay.wake();
  }

  /**
   * Moves our invoice forward to what a Stripe invoice object says (from our own calls or from a webhook, in any
   * order: a status never goes back). Publishes `invoice.paid` / `payment.failed` on the transition. Returns false
   * when the invoice is not ours.
   */
  async applyStripeInvoice(manager: EntityManager, invoice: Stripe.Invoice, failureReason?: string | null): Promise<boolean> {
    const ourId = invoice.metadata?.invoice_id;
    const rows = ourId
      ? await manager.query('SELECT * FROM invoice WHERE id = ? FOR UPDATE', [ourId])
      : await manager.query('SELECT * FROM invoice WHERE stripe_invoice_id = ? FOR UPDATE', [invoice.id]);
    const row = rows[0];
    if (!row) return false;
    const next: InvoiceStatus | null =
      invoice.status === 'paid' ? 'paid' : invoice.status === 'void' ? 'void' : failureReason !== undefined ? 'payment_failed' : invoice.status === 'open' ? 'open' : null;
    const tax = (invoice.total_taxes ?? []).reduce((a, t) => a + t.amount, 0);
    const common = [invoice.id, invoice.number ?? null, invoice.hosted_invoice_url ?? null, invoice.invoice_pdf ?? null, tax];
    await manager.query(
      `UPDATE invoice SET stripe_invoice_id = COALESCE(stripe_invoice_id, ?), number = COALESCE(?, number), hosted_invoice_url = COALESCE(?, hosted_invoice_url),
         invoice_pdf = COALESCE(?, invoice_pdf), tax_minor = ?, finalized_at = COALESCE(finalized_at, ?) WHERE id = ?`,
      [...common, invoice.status_transitions?.finalized_at ? new Date(invoice.status_transitions.finalized_at * 1000) : null, row.id],
    );
    if (!next || RANK[next] <= RANK[row.status as InvoiceStatus]) return true;
    const paidAt = invoice.status_transitions?.paid_at ? new Date(invoice.status_transitions.paid_at * 1000) : new Date();
    await manager.query('UPDATE invoice SET status = ?, paid_at = ?, failure_reason = ? WHERE id = ?', [next, next === 'paid' ? paidAt : null, failureReason ?? null, row.id]);
    const base = { key: row.company_id, companyId: row.company_id, subject: row.id };
    if (next === 'paid') {
      await this.outbox.add(manager, {
        ...base,
        topic: Topics.invoicePaid.name,
        data: { invoiceId: row.id, number: invoice.number ?? row.number ?? row.id, total: Number(row.total_minor), currency: row.currency, period: row.period, paidAt: paidAt.toISOString() },
      });
    } else if (next === 'payment_failed') {
      await this.outbox.add(manager, { ...base, topic: Topics.paymentFailed.name, data: { invoiceId: row.id, stripeObjectId: invoice.id!, reason: failureReason ?? null, topUpId: null } });
    }
    return true;
  }

  /** Last month's invoices for every company with charged usage and none yet (the monthly run; safe to repeat). */
  async runMonthly(now = new Date()): Promise<number> {
    const previous = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
    const due: { company_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT u.company_id FROM usage_charge u LEFT JOIN invoice i ON i.company_id = u.company_id AND i.period = u.period
       WHERE u.period = ? AND u.status = 'charged' AND u.amount_minor > 0 AND (i.id IS NULL OR i.status = 'creating')`,
      [previous],
    );
    let created = 0;
    for (const { company_id } of due) {
      try {
        await this.createForPeriod(company_id, previous);
        created += 1;
      } catch (error) {
        this.logger.warn({ err: error, companyId: company_id, period: previous }, 'monthly invoice not created; retried on the next run');
      }
    }
    return created;
  }
}
