import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { Outbox } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime } from '@receptionist/service-runtime';
import { BillingFailure } from '../common/billing-failure';
import { ledgerPostings, refundedAmount } from '../common/billing.metrics';
import { Currency, LedgerService, thresholdsOf } from '../ledger/ledger.service';
import { PricesService } from '../prices/prices.service';
import { PaymentProviderUnavailable, StripeClient } from '../stripe/stripe.client';

export interface CreditNoteView {
  creditNoteId: string;
  invoiceId: string;
  amount: number;
  currency: Currency;
  reason: string | null;
  /** `admin`: through our API; `stripe`: made in Stripe's dashboard and learnt from its webhook. */
  source: 'admin' | 'stripe';
  status: 'creating' | 'issued';
  number: string | null;
  /** Where the money went: the prepaid balance (company invoices) or the partner's Stripe customer balance. */
  refundedTo: 'prepaid_balance' | 'customer_balance';
  createdAt: string;
}

const view = (r: Record<string, any>, kind: string): CreditNoteView => ({
  creditNoteId: r.id,
  invoiceId: r.invoice_id,
  amount: Number(r.amount_minor),
  currency: r.currency,
  reason: r.reason,
  source: r.source,
  status: r.status,
  number: r.number,
  refundedTo: kind === 'aggregate' ? 'customer_balance' : 'prepaid_balance',
  createdAt: new Date(r.created_at).toISOString(),
});

/**
 * Refunds. A credit note against a paid invoice gives back at most what is still refundable (`total − refunded`,
 * reserved under the invoice's row lock before Stripe is asked, so two concurrent requests cannot both take the
 * last euro). A company invoice was paid from the prepaid balance, so its refund goes back there: a `refund` ledger
 * credit under `credit-note:<id>`, and in Stripe an out-of-band credit note (no money moves in Stripe). A partner's
 * aggregate invoice was paid to Stripe, so its credit goes to the partner's Stripe customer balance (the next
 * invoice is reduced). A refund of a top-up made in Stripe's dashboard (`charge.refunded`) takes the refunded money
 * off the prepaid balance, once per cumulative amount.
 */
@Injectable()
export class CreditNotesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly runtime: MessagingRuntime,
    private readonly ledger: LedgerService,
    private readonly prices: PricesService,
    private readonly stripe: StripeClient,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async create(input: { companyId: string; invoiceId: string; amount: number; reason: string; idempotencyKey?: string }): Promise<{ creditNote: CreditNoteView; invoiceRefunded: number }> {
    if (!Number.isSafeInteger(input.amount) || input.amount <= 0) throw new BillingFailure('invalid_request', 'amount: must be a positive whole number of minor units');
    const id = randomUUID();
    const reserved = await this.dataSource.transaction(async (manager) => {
      const [invoice] = await manager.query('SELECT * FROM invoice WHERE id = ? AND company_id = ? FOR UPDATE', [input.invoiceId, input.companyId]);
      if (!invoice) throw new BillingFailure('not_found', 'invoiceId: no such invoice');
      if (input.idempotencyKey) {
        const [existing] = await manager.query('SELECT * FROM credit_note WHERE invoice_id = ? AND idempotency_key = ?', [invoice.id, input.idempotencyKey]);
        if (existing) return { note: existing, invoice };
      }
      if (invoice.status !== 'paid' || !invoice.stripe_invoice_id) throw new BillingFailure('invalid_request', `invoiceId: only a paid invoice can be refunded (this one is ${invoice.status})`);
      const remaining = Number(invoice.total_minor) - Number(invoice.refunded_minor);
      if (input.amount > remaining) throw new BillingFailure('invalid_request', `amount: at most ${remaining} of this invoice can still be refunded`);
      await manager.query(
        `INSERT INTO credit_note (id, invoice_id, company_id, amount_minor, currency, reason, source, idempotency_key, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'admin', ?, 'creating', ?)`,
        [id, invoice.id, input.companyId, input.amount, invoice.currency, input.reason, input.idempotencyKey ?? null, new Date()],
      );
      await manager.query('UPDATE invoice SET refunded_minor = refunded_minor + ? WHERE id = ?', [input.amount, invoice.id]);
      const [note] = await manager.query('SELECT * FROM credit_note WHERE id = ?', [id]);
      return { note, invoice };
    });
    const { invoice } = reserved;
    let note = reserved.note;
    if (note.status === 'creating') {
      await this.issue(note, invoice);
      [note] = await this.dataSource.query('SELECT * FROM credit_note WHERE id = ?', [note.id]);
    }
    const [after] = await this.dataSource.query('SELECT refunded_minor FROM invoice WHERE id = ?', [invoice.id]);
    return { creditNote: view(note, invoice.kind), invoiceRefunded: Number(after.refunded_minor) };
  }

  /** Asks Stripe for the credit note (key per credit note: a retry never issues two) and books the refund. */
  private async issue(note: Record<string, any>, invoice: Record<string, any>) {
    const aggregate = invoice.kind === 'aggregate';
    const amount = Number(note.amount_minor);
    let stripeNote: Stripe.CreditNote;
    try {
      stripeNote = await this.stripe.call('creditNotes.create', (s) =>
        s.creditNotes.create(
          {
            invoice: invoice.stripe_invoice_id,
            amount,
            ...(aggregate ? { credit_amount: amount } : { out_of_band_amount: amount }),
            memo: note.reason ?? undefined,
            metadata: { company_id: note.company_id, invoice_id: invoice.id, credit_note_id: note.id },
          },
          { idempotencyKey: `credit-note:${note.id}` },
        ),
      );
    } catch (error) {
      if (error instanceof PaymentProviderUnavailable) throw new BillingFailure('payment_provider_unavailable', 'Stripe is not reachable; repeat the request with the same Idempotency-Key to finish this credit note');
      if (error instanceof Stripe.errors.StripeError) {
        // Stripe refused it: nothing was credited, so the reserved amount is freed again.
        await this.dataSource.transaction(async (manager) => {
          const [row] = await manager.query(`SELECT status FROM credit_note WHERE id = ? FOR UPDATE`, [note.id]);
          if (row?.status !== 'creating') return;
          await manager.query('DELETE FROM credit_note WHERE id = ?', [note.id]);
          await manager.query('UPDATE invoice SET refunded_minor = refunded_minor - ? WHERE id = ?', [amount, invoice.id]);
        });
        throw new BillingFailure('invalid_request', `${error.param ?? 'amount'}: ${error.message}`);
      }
      throw error;
    }
    await this.outbox.transaction((manager) => this.markIssued(manager, note.id, stripeNote));
    this.runtime.relay.wake();
  }

  /** Records Stripe's credit note on ours and, for a company invoice, credits the prepaid balance; once. */
  async markIssued(manager: EntityManager, creditNoteId: string, stripeNote: Stripe.CreditNote): Promise<boolean> {
    const [note] = await manager.query('SELECT * FROM credit_note WHERE id = ? FOR UPDATE', [creditNoteId]);
    if (!note || note.status === 'issued') return false;
    await manager.query(`UPDATE credit_note SET status = 'issued', stripe_credit_note_id = ?, number = ? WHERE id = ?`, [stripeNote.id, stripeNote.number ?? null, note.id]);
    const [invoice] = await manager.query('SELECT kind, number FROM invoice WHERE id = ?', [note.invoice_id]);
    refundedAmount().inc({ source: note.source, currency: note.currency }, Number(note.amount_minor));
    if (invoice.kind === 'aggregate') return true;
    const prices = await this.prices.effective(note.company_id, manager);
    const account = await this.ledger.lockAccount(manager, note.company_id, note.currency);
    const posted = await this.ledger.post(manager, account, {
      kind: 'refund',
      amount: Number(note.amount_minor),
      reference: `credit-note:${note.id}`,
      description: `Refund, credit note ${stripeNote.number ?? note.id} on invoice ${invoice.number ?? note.invoice_id}`,
      occurredAt: new Date(),
    });
    if (posted) ledgerPostings().inc({ kind: 'refund' });
    await this.ledger.settleState(
      manager,
      account,
      thresholdsOf(prices),
      (event) => this.outbox.add(manager, event),
    );
    return true;
  }

  /**
   * `credit_note.created`: ours (metadata) is marked issued if our own call's answer was lost; one made in Stripe's
   * dashboard on one of our invoices is recorded (source `stripe`) and counted as refunded. The dashboard decides
   * where that money went (a refund to the card arrives as `charge.refunded`), so no ledger entry is made for it.
   */
  async onStripeCreditNote(manager: EntityManager, stripeNote: Stripe.CreditNote): Promise<{ companyId: string | null; applied: boolean }> {
    const ours = stripeNote.metadata?.credit_note_id;
    if (ours) {
      const [row] = await manager.query('SELECT company_id FROM credit_note WHERE id = ?', [ours]);
      if (row) return { companyId: row.company_id, applied: await this.markIssued(manager, ours, stripeNote) };
    }
    const invoiceId = typeof stripeNote.invoice === 'string' ? stripeNote.invoice : stripeNote.invoice?.id;
    const [invoice] = await manager.query('SELECT * FROM invoice WHERE stripe_invoice_id = ? FOR UPDATE', [invoiceId ?? '']);
    if (!invoice) return { companyId: null, applied: false };
    const [known] = await manager.query('SELECT 1 AS x FROM credit_note WHERE stripe_credit_note_id = ?', [stripeNote.id]);
    if (known) return { companyId: invoice.company_id, applied: false };
    // Never more than the invoice total in our books, whatever Stripe allowed.
    const amount = Math.min(stripeNote.amount, Number(invoice.total_minor) - Number(invoice.refunded_minor));
    if (amount <= 0) return { companyId: invoice.company_id, applied: false };
    await manager.query(
      `INSERT INTO credit_note (id, invoice_id, company_id, amount_minor, currency, reason, source, stripe_credit_note_id, number, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'stripe', ?, ?, 'issued', ?)`,
      [randomUUID(), invoice.id, invoice.company_id, amount, invoice.currency, stripeNote.memo ?? stripeNote.reason ?? null, stripeNote.id, stripeNote.number ?? null, new Date()],
    );
    await manager.query('UPDATE invoice SET refunded_minor = refunded_minor + ? WHERE id = ?', [amount, invoice.id]);
    refundedAmount().inc({ source: 'stripe', currency: invoice.currency }, amount);
    return { companyId: invoice.company_id, applied: true };
  }

  /**
   * `charge.refunded` for one of our top-ups (refunded in Stripe's dashboard): the money left the business's prepaid
   * balance. `amount_refunded` is cumulative, so each event debits what is refunded beyond what was already debited
   * (reference `refund:<charge>:<cumulative>`): a duplicate or an older event debits nothing.
   */
  async onChargeRefunded(manager: EntityManager, charge: Stripe.Charge): Promise<{ companyId: string | null; applied: boolean }> {
    const pi = typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id;
    const [topUp] = await manager.query('SELECT id, company_id, currency FROM top_up WHERE stripe_payment_intent_id = ?', [pi ?? '']);
    if (!topUp) return { companyId: null, applied: false };
    const prices = await this.prices.effective(topUp.company_id, manager);
    const account = await this.ledger.lockAccount(manager, topUp.company_id, topUp.currency);
    const [done] = await manager.query(
      `SELECT COALESCE(-SUM(amount_minor), 0) AS debited FROM ledger_entry WHERE company_id = ? AND kind = 'refund' AND reference LIKE ?`,
      [topUp.company_id, `refund:${charge.id}:%`],
    );
    const delta = charge.amount_refunded - Number(done.debited);
    if (delta <= 0) return { companyId: topUp.company_id, applied: false };
    await this.ledger.post(manager, account, {
      kind: 'refund',
      amount: -delta,
      reference: `refund:${charge.id}:${charge.amount_refunded}`,
      description: `Top-up ${topUp.id} refunded in Stripe (${charge.amount_refunded} of ${charge.amount})`,
      occurredAt: new Date(),
    });
    ledgerPostings().inc({ kind: 'refund' });
    refundedAmount().inc({ source: 'stripe', currency: topUp.currency }, delta);
    await this.ledger.settleState(
      manager,
      account,
      thresholdsOf(prices),
      (event) => this.outbox.add(manager, event),
    );
    this.logger.info({ companyId: topUp.company_id, topUpId: topUp.id, amount: delta }, 'top-up refunded in Stripe: debited from the prepaid balance');
    return { companyId: topUp.company_id, applied: true };
  }
}
