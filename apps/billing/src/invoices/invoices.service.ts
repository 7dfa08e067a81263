import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { Outbox } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime } from '@receptionist/service-runtime';
import { BillingFailure } from '../common/billing-failure';
import { invoiceTransitions, ledgerPostings } from '../common/billing.metrics';
import { type Currency, LedgerService, thresholdsOf } from '../ledger/ledger.service';
import { PricesService } from '../prices/prices.service';
import { CustomersService } from '../stripe/customers.service';
import { PaymentProviderUnavailable, StripeClient } from '../stripe/stripe.client';

export type InvoiceStatus = 'creating' | 'open' | 'paid' | 'payment_failed' | 'void';

export type InvoiceKind = 'company' | 'aggregate';

export interface InvoiceLine {
  kind: 'talk_time' | 'booking_fee';
  /** Aggregate invoices: the managed company the line is for. */
  companyId?: string;
  description: string;
  quantity: number;
  amount: number;
}

export interface InvoiceView {
  invoiceId: string;
  /** `company`: the company's own usage; `aggregate`: a partner's invoice over its managed companies. */
  kind: InvoiceKind;
  period: string;
  status: InvoiceStatus;
  number: string | null;
  currency: Currency;
  total: number;
  tax: number | null;
  vatBasisPoints: number;
  lines: InvoiceLine[];
  /** Given back with credit notes so far. */
  refunded: number;
  hostedInvoiceUrl: string | null;
  pdfUrl: string | null;
  failureReason: string | null;
  createdAt: string;
  paidAt: string | null;
}

const RANK: Record<InvoiceStatus, number> = { creating: 0, open: 1, payment_failed: 2, paid: 3, void: 3 };

const view = (r: Record<string, any>): InvoiceView => ({
  invoiceId: r.id,
  kind: r.kind ?? 'company',
  period: r.period,
  status: r.status,
  number: r.number,
  currency: r.currency,
  total: Number(r.total_minor),
  tax: r.tax_minor === null ? null : Number(r.tax_minor),
  vatBasisPoints: Number(r.vat_basis_points),
  lines: typeof r.line_items === 'string' ? JSON.parse(r.line_items) : r.line_items,
  refunded: Number(r.refunded_minor ?? 0),
  hostedInvoiceUrl: r.hosted_invoice_url,
  pdfUrl: r.invoice_pdf,
  failureReason: r.failure_reason ?? null,
  createdAt: new Date(r.created_at).toISOString(),
  paidAt: r.paid_at ? new Date(r.paid_at).toISOString() : null,
});

/** `AGG-2026-10-007`: the partner invoices of a month, numbered from 1 without gaps. */
export const aggregateNumber = (period: string, seq: number) => `AGG-${period}-${String(seq).padStart(3, '0')}`;

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
 * so a run interrupted anywhere resumes without duplicates; one invoice per company, month and kind (unique).
 *
 * Partners (resellers): a company whose set-up names a `partnerCompanyId` is not invoiced itself. Its partner gets
 * one aggregate invoice a month with a line per managed company and kind of usage, at the partner's VAT rate,
 * numbered `AGG-YYYY-MM-NNN` (a per-month counter row incremented in the transaction that creates the invoice:
 * no gaps, no duplicates, whichever instance runs it). The partner pays it (its saved card is charged, otherwise
 * the hosted invoice is paid), so `invoice.paid` / `invoice.payment_failed` move its state.
 *
 * Managed companies are postpaid (see UsageService): their usage is debited from their own ledger as the record of
 * it, without thresholds or automatic top-ups. When the partner's aggregate invoice turns paid (whichever of
 * Stripe's `invoice.paid` and our own `invoices.pay` answer comes first: the state moves once), each managed company
 * on it gets ONE `partner_settlement` credit of the sum of its lines, in the transaction of that state change, with
 * the reference `partner-settlement:<invoice id>` (unique per company), so redelivery, replay or a crash never
 * credits twice. Its balance is thus back where it was before the month's usage. A failed payment credits nothing.
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
    private readonly ledger: LedgerService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async list(companyId: string, limit = 24): Promise<InvoiceView[]> {
    const rows = await this.dataSource.query('SELECT * FROM invoice WHERE company_id = ? ORDER BY period DESC, kind LIMIT ?', [companyId, limit]);
    return rows.map(view);
  }

  async get(companyId: string, invoiceId: string): Promise<InvoiceView | null> {
    const [row] = await this.dataSource.query('SELECT * FROM invoice WHERE company_id = ? AND id = ?', [companyId, invoiceId]);
    return row ? view(row) : null;
  }

  /** The company's own invoice of a month; a partner also gets its aggregate invoice of that month (if any usage). */
  async createForPeriod(companyId: string, period: string): Promise<InvoiceView> {
    const prices = await this.prices.effective(companyId);
    if (!prices) throw new BillingFailure('unknown_company', 'companyId: no billing set-up for this company');
    const [existing] = await this.dataSource.query(`SELECT * FROM invoice WHERE company_id = ? AND period = ? AND kind = 'company'`, [companyId, period]);
    if (existing && existing.status !== 'creating') return view(existing);
    let row = existing;
    if (!row) {
      if (prices.partnerCompanyId) {
        throw new BillingFailure('invalid_request', `companyId: invoiced to its partner ${prices.partnerCompanyId} on the partner's aggregate invoice`);
      }
      const lines = await this.usageLines([companyId], period);
      if (lines.length === 0) {
        if (await this.hasManagedUsage(companyId, period)) return this.createAggregateForPeriod(companyId, period);
        throw new BillingFailure('nothing_to_invoice', `period: no charged usage in ${period}`);
      }
      const total = lines.reduce((a, l) => a + l.amount, 0);
      const id = randomUUID();
      await this.dataSource.query(
        `INSERT IGNORE INTO invoice (id, company_id, period, kind, status, currency, vat_basis_points, total_minor, line_items, created_at) VALUES (?, ?, ?, 'company', 'creating', ?, ?, ?, ?, ?)`,
        [id, companyId, period, prices.currency, prices.vatBasisPoints, total, JSON.stringify(lines), new Date()],
      );
      [row] = await this.dataSource.query(`SELECT * FROM invoice WHERE company_id = ? AND period = ? AND kind = 'company'`, [companyId, period]);
      if (row.status !== 'creating') return view(row);
    }
    await this.completeInStripe(row);
    const [after] = await this.dataSource.query('SELECT * FROM invoice WHERE id = ?', [row.id]);
    return view(after);
  }

  /**
   * The partner's aggregate invoice of a month over the companies it manages (same currency; a company that already
   * has an invoice of its own for the month is not on it). Safe to repeat and to run on two instances at once.
   */
  async createAggregateForPeriod(partnerId: string, period: string): Promise<InvoiceView> {
    const prices = await this.prices.effective(partnerId);
    if (!prices) throw new BillingFailure('unknown_company', 'companyId: no billing set-up for this partner');
    const [existing] = await this.dataSource.query(`SELECT * FROM invoice WHERE company_id = ? AND period = ? AND kind = 'aggregate'`, [partnerId, period]);
    if (existing && existing.status !== 'creating') return view(existing);
    let row = existing;
    if (!row) {
      const managed = await this.managedCompanies(partnerId, prices.currency, period);
      const lines = await this.usageLines(managed, period, true);
      if (lines.length === 0) throw new BillingFailure('nothing_to_invoice', `period: no charged usage of managed companies in ${period}`);
      const total = lines.reduce((a, l) => a + l.amount, 0);
      row = await this.insertAggregate(partnerId, period, prices.currency, prices.vatBasisPoints, total, lines);
      if (row.status !== 'creating') return view(row);
    }
    await this.completeInStripe(row);
    const [after] = await this.dataSource.query('SELECT * FROM invoice WHERE id = ?', [row.id]);
    return view(after);
  }

  private async completeInStripe(row: Record<string, any>) {
    try {
      await this.pushToStripe(row);
    } catch (error) {
      if (error instanceof PaymentProviderUnavailable) throw new BillingFailure('payment_provider_unavailable', 'Stripe is not reachable; the invoice is completed on the next run');
      throw error;
    }
  }

  /** Companies managed by the partner in its currency, less those that have an invoice of their own for the month. */
  private async managedCompanies(partnerId: string, currency: Currency, period: string): Promise<string[]> {
    const rows: { company_id: string; currency: Currency; own: string | null }[] = await this.dataSource.query(
      `SELECT p.company_id, p.currency, i.id AS own FROM company_pricing p
       LEFT JOIN invoice i ON i.company_id = p.company_id AND i.period = ? AND i.kind = 'company'
       WHERE p.partner_company_id = ? ORDER BY p.company_id`,
      [period, partnerId],
    );
    const other = rows.filter((r) => r.currency !== currency);
    if (other.length) this.logger.error({ partnerId, companies: other.map((r) => r.company_id) }, 'managed companies in another currency than their partner are not on its aggregate invoice');
    return rows.filter((r) => r.currency === currency && !r.own).map((r) => r.company_id);
  }

  private async hasManagedUsage(partnerId: string, period: string): Promise<boolean> {
    const [r] = await this.dataSource.query(
      `SELECT 1 AS x FROM usage_charge u JOIN company_pricing p ON p.company_id = u.company_id WHERE p.partner_company_id = ? AND u.period = ? AND u.status = 'charged' AND u.amount_minor > 0 LIMIT 1`,
      [partnerId, period],
    );
    return Boolean(r);
  }

  /** One line per company and kind of usage with a positive amount, summed exactly (BIGINT sums). */
  private async usageLines(companyIds: string[], period: string, aggregate = false): Promise<InvoiceLine[]> {
    if (companyIds.length === 0) return [];
    const marks = companyIds.map(() => '?').join(',');
    const [unrated] = await this.dataSource.query(`SELECT COUNT(*) AS n FROM usage_charge WHERE company_id IN (${marks}) AND period = ? AND status = 'unpriced'`, [...companyIds, period]);
    if (Number(unrated.n) > 0) throw new BillingFailure('usage_not_rated', `period: ${unrated.n} usage records of ${period} are not rated yet`);
    const sums: { company_id: string; kind: InvoiceLine['kind']; quantity: string; amount: string }[] = await this.dataSource.query(
      `SELECT company_id, kind, SUM(quantity - free_quantity) AS quantity, SUM(amount_minor) AS amount FROM usage_charge
       WHERE company_id IN (${marks}) AND period = ? AND status = 'charged' GROUP BY company_id, kind ORDER BY company_id, kind DESC`,
      [...companyIds, period],
    );
    return sums
      .filter((s) => Number(s.amount) > 0)
      .map((s) => ({
        kind: s.kind,
        ...(aggregate ? { companyId: s.company_id } : {}),
        description: `${aggregate ? `Company ${s.company_id}: ` : ''}${DESCRIPTIONS[s.kind]} ${period}`,
        quantity: Number(s.quantity),
        amount: Number(s.amount),
      }));
  }

  /**
   * Inserts the aggregate invoice and gives it the month's next number in one transaction. The counter row is
   * locked by its upsert until commit, so concurrent runs take turns; a run that loses the race for the invoice row
   * (unique partner, month, kind) rolls back its increment too, so no number is skipped.
   */
  private async insertAggregate(partnerId: string, period: string, currency: Currency, vat: number, total: number, lines: InvoiceLine[]): Promise<Record<string, any>> {
    const id = randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.dataSource.transaction(async (manager) => {
          await manager.query(
            `INSERT INTO invoice (id, company_id, period, kind, status, currency, vat_basis_points, total_minor, line_items, created_at) VALUES (?, ?, ?, 'aggregate', 'creating', ?, ?, ?, ?, ?)`,
            [id, partnerId, period, currency, vat, total, JSON.stringify(lines), new Date()],
          );
          await manager.query('INSERT INTO aggregate_invoice_counter (period, last_seq) VALUES (?, 1) ON DUPLICATE KEY UPDATE last_seq = last_seq + 1', [period]);
          const [counter] = await manager.query('SELECT last_seq FROM aggregate_invoice_counter WHERE period = ?', [period]);
          await manager.query('UPDATE invoice SET number = ? WHERE id = ?', [aggregateNumber(period, Number(counter.last_seq)), id]);
        });
        break;
      } catch (error) {
        const errno = (error as { errno?: number }).errno;
        if (errno === 1062) break; // another run created this partner's invoice of the month
        if (errno === 1213 && attempt < 5) continue; // deadlock between two first inserts of the month's counter
        throw error;
      }
    }
    const [row] = await this.dataSource.query(`SELECT * FROM invoice WHERE company_id = ? AND period = ? AND kind = 'aggregate'`, [partnerId, period]);
    return row;
  }

  private async pushToStripe(row: Record<string, any>) {
    const id: string = row.id;
    const companyId: string = row.company_id;
    const aggregate = row.kind === 'aggregate';
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
    const metadata = { company_id: companyId, invoice_id: id, period: row.period, kind: aggregate ? 'aggregate' : 'company' };
    let invoice = await this.stripe.call('invoices.create', (s) =>
      s.invoices.create(
        {
          customer,
          currency,
          collection_method: 'send_invoice',
          days_until_due: 14,
          auto_advance: false,
          pending_invoice_items_behavior: 'exclude',
          description: aggregate ? `Usage ${row.period} of the companies you manage` : `Usage ${row.period} (paid from the prepaid balance)`,
          // Our own gapless partner numbering; company invoices keep Stripe's numbers.
          ...(aggregate ? { number: row.number } : {}),
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
          {
            customer,
            invoice: invoice.id!,
            amount: line.amount,
            currency,
            description: line.description,
            tax_rates: [taxRate.id],
            period: bounds,
            metadata: { ...metadata, kind: line.kind, ...(line.companyId ? { managed_company_id: line.companyId } : {}) },
          },
          { idempotencyKey: `invoice:${id}:item:${line.companyId ? `${line.companyId}:` : ''}${line.kind}` },
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
    if (!aggregate) {
      invoice = await this.stripe.call('invoices.pay', (s) => s.invoices.pay(invoice.id!, { paid_out_of_band: true }, { idempotencyKey: `invoice:${id}:pay` }));
      await this.outbox.transaction((manager) => this.applyStripeInvoice(manager, invoice));
    } else {
      await this.collectFromPartner(row, invoice);
    }
    this.runtime.relay.wake();
  }

  /**
   * Charges the partner's saved card for its aggregate invoice (once: the key is the invoice's). Without a saved
   * card the invoice stays open until the partner pays the hosted invoice. A decline marks it payment_failed
   * (Stripe also sends invoice.payment_failed; the state moves once, `payment.failed` is published once).
   */
  private async collectFromPartner(row: Record<string, any>, invoice: Stripe.Invoice) {
    const [account] = await this.dataSource.query('SELECT default_payment_method_id FROM billing_account WHERE company_id = ?', [row.company_id]);
    const paymentMethod: string | null = account?.default_payment_method_id ?? null;
    if (!paymentMethod || invoice.status !== 'open') return;
    try {
      const paid = await this.stripe.call('invoices.pay', (s) => s.invoices.pay(invoice.id!, { payment_method: paymentMethod }, { idempotencyKey: `invoice:${row.id}:pay` }));
      await this.outbox.transaction((manager) => this.applyStripeInvoice(manager, paid));
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeError) || error instanceof Stripe.errors.StripeConnectionError || error instanceof Stripe.errors.StripeAPIError) throw error;
      if (error.code === 'invoice_already_paid') return;
      const current = await this.stripe.call('invoices.retrieve', (s) => s.invoices.retrieve(invoice.id!));
      await this.outbox.transaction((manager) => this.applyStripeInvoice(manager, current, current.status === 'paid' ? undefined : error.message));
      this.logger.warn({ invoiceId: row.id, partnerId: row.company_id, code: error.code }, 'aggregate invoice: the partner card was declined');
    }
  }

  /**
   * Moves our invoice forward to what a Stripe invoice object says (from our own calls or from a webhook, in any
   * order: a status never goes back, so a payment_failed delivered after paid changes nothing). Publishes
   * `invoice.paid` / `payment.failed` on the transition, once. Returns false when the invoice is not ours.
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
      `UPDATE invoice SET stripe_invoice_id = COALESCE(stripe_invoice_id, ?), number = COALESCE(number, ?), hosted_invoice_url = COALESCE(?, hosted_invoice_url),
         invoice_pdf = COALESCE(?, invoice_pdf), tax_minor = ?, finalized_at = COALESCE(finalized_at, ?) WHERE id = ?`,
      [...common, invoice.status_transitions?.finalized_at ? new Date(invoice.status_transitions.finalized_at * 1000) : null, row.id],
    );
    if (!next || RANK[next] <= RANK[row.status as InvoiceStatus]) return true;
    const paidAt = invoice.status_transitions?.paid_at ? new Date(invoice.status_transitions.paid_at * 1000) : new Date();
    // A paid invoice keeps the reason of an earlier failed attempt out of its view.
    await manager.query('UPDATE invoice SET status = ?, paid_at = ?, failure_reason = ? WHERE id = ?', [next, next === 'paid' ? paidAt : null, next === 'payment_failed' ? (failureReason ?? null) : null, row.id]);
    invoiceTransitions().inc({ kind: row.kind ?? 'company', status: next });
    const base = { key: row.company_id, companyId: row.company_id, subject: row.id };
    if (next === 'paid') {
      if (row.kind === 'aggregate') await this.settleManaged(manager, row);
      await this.outbox.add(manager, {
        ...base,
        topic: Topics.invoicePaid.name,
        data: { invoiceId: row.id, number: row.number ?? invoice.number ?? row.id, total: Number(row.total_minor), currency: row.currency, period: row.period, paidAt: paidAt.toISOString() },
      });
    } else if (next === 'payment_failed') {
      await this.outbox.add(manager, { ...base, topic: Topics.paymentFailed.name, data: { invoiceId: row.id, stripeObjectId: invoice.id!, reason: failureReason ?? null, topUpId: null } });
    }
    return true;
  }

  /**
   * The partner paid its aggregate invoice: each managed company on it is credited its lines once (postpaid
   * settlement). Accounts are locked in company-id order, as the usage batches lock them, so the two never deadlock.
   */
  private async settleManaged(manager: EntityManager, row: Record<string, any>) {
    const lines: InvoiceLine[] = typeof row.line_items === 'string' ? JSON.parse(row.line_items) : row.line_items;
    const owed = new Map<string, number>();
    for (const line of lines) if (line.companyId) owed.set(line.companyId, (owed.get(line.companyId) ?? 0) + line.amount);
    const reference = `partner-settlement:${row.id}`;
    for (const companyId of [...owed.keys()].sort()) {
      const account = await this.ledger.lockExisting(manager, companyId);
      if (!account || account.currency !== row.currency) {
        // Not reachable for lines built from its debits (same currency); never credit in the wrong currency.
        this.logger.error({ invoiceId: row.id, companyId, account: account?.currency ?? null, invoice: row.currency }, 'partner settlement not credited: no account in the invoice currency');
        continue;
      }
      const entry = await this.ledger.post(manager, account, {
        kind: 'partner_settlement',
        amount: owed.get(companyId)!,
        reference,
        description: `Paid by partner ${row.company_id}, invoice ${row.number ?? row.id} (${row.period})`,
        occurredAt: new Date(),
      });
      if (!entry) continue;
      ledgerPostings().inc({ kind: 'partner_settlement' });
      // A company no longer managed is prepaid again: the credit may lift it back over its threshold.
      const prices = await this.prices.effective(companyId, manager);
      await this.ledger.settleState(
        manager,
        account,
        thresholdsOf(prices),
        (event) => this.outbox.add(manager, event),
      );
    }
  }

  /**
   * Last month's invoices (the monthly run; safe to repeat): each company with charged usage and no invoice yet,
   * except companies managed by a partner, then one aggregate invoice per partner over its managed companies.
   */
  async runMonthly(now = new Date()): Promise<number> {
    const previous = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
    const due: { company_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT u.company_id FROM usage_charge u
       LEFT JOIN company_pricing p ON p.company_id = u.company_id
       LEFT JOIN invoice i ON i.company_id = u.company_id AND i.period = u.period AND i.kind = 'company'
       WHERE u.period = ? AND u.status = 'charged' AND u.amount_minor > 0 AND p.partner_company_id IS NULL AND (i.id IS NULL OR i.status = 'creating')`,
      [previous],
    );
    const partners: { partner: string }[] = await this.dataSource.query(
      `SELECT DISTINCT p.partner_company_id AS partner FROM usage_charge u JOIN company_pricing p ON p.company_id = u.company_id
       LEFT JOIN invoice i ON i.company_id = p.partner_company_id AND i.period = u.period AND i.kind = 'aggregate'
       WHERE u.period = ? AND u.status = 'charged' AND u.amount_minor > 0 AND p.partner_company_id IS NOT NULL AND (i.id IS NULL OR i.status = 'creating')`,
      [previous],
    );
    let created = 0;
    const jobs: [string, 'company' | 'aggregate'][] = [...due.map((d): [string, 'company'] => [d.company_id, 'company']), ...partners.map((p): [string, 'aggregate'] => [p.partner, 'aggregate'])];
    for (const [companyId, kind] of jobs) {
      try {
        if (kind === 'company') await this.createForPeriod(companyId, previous);
        else await this.createAggregateForPeriod(companyId, previous);
        created += 1;
      } catch (error) {
        this.logger.warn({ err: error, companyId, kind, period: previous }, 'monthly invoice not created; retried on the next run');
      }
    }
    return created;
  }
}
