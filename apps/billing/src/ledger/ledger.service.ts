import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import type { OutboxEvent } from '@receptionist/messaging';
import { splitDebit } from '../usage/rating';
import { ledgerAmount } from '../common/billing.metrics';
import type { EffectivePrices } from '../prices/prices.service';

export type Currency = 'EUR' | 'USD' | 'GBP';
export type BalanceState = 'ok' | 'low' | 'exhausted';
/** `partner_settlement`: a managed (postpaid) company's usage paid by its partner's aggregate invoice. */
export type LedgerKind = 'usage' | 'top_up' | 'bonus' | 'refund' | 'adjustment' | 'fee' | 'partner_settlement' | 'plan_settlement';

/** The account row, locked for the rest of the transaction, with the balance as of its last ledger row. */
export interface LockedAccount {
  companyId: string;
  currency: Currency;
  lastSeq: number;
  balanceState: BalanceState;
  stripeCustomerId: string | null;
  defaultPaymentMethodId: string | null;
  /** paid + bonus credit. */
  balance: number;
  bonus: number;
}

export interface Posting {
  kind: LedgerKind;
  /** Signed minor units: negative debits, positive credits. */
  amount: number;
  /** Unique per company: the same reference is never posted twice (`call:<id>:talk_time`, `topup:<id>`). */
  reference: string;
  description: string;
  occurredAt: Date;
  /** Credits only: the credit is bonus credit (spent before paid credit). */
  asBonus?: boolean;
  /** The caller already made sure, under the account lock, that the reference is new (saves a query per debit). */
  referenceChecked?: boolean;
}

export interface LedgerEntry {
  seq: number;
  kind: LedgerKind;
  amount: number;
  paidDelta: number;
  bonusDelta: number;
  balanceAfter: number;
  bonusAfter: number;
  currency: Currency;
  reference: string;
  description: string;
  occurredAt: string;
}

export interface Thresholds {
  lowBalanceMinor: number;
  refuseCallsWhenExhausted: boolean;
  /**
   * A company managed by a partner (`partnerCompanyId`): its partner pays its usage in arrears, so its balance
   * neither blocks calls nor crosses thresholds. Its state is left as it is and re-evaluated from the first
   * posting after it stops being managed.
   */
  postpaid?: boolean;
}

/** The balance rules of a company's prices (none set yet: no threshold, calls never refused, prepaid). */
export function thresholdsOf(prices: Pick<EffectivePrices, 'lowBalanceThresholdMinor' | 'refuseCallsWhenExhausted' | 'partnerCompanyId'> | null | undefined): Thresholds {
  return {
    lowBalanceMinor: prices?.lowBalanceThresholdMinor ?? 0,
    refuseCallsWhenExhausted: prices?.refuseCallsWhenExhausted ?? false,
    postpaid: Boolean(prices?.partnerCompanyId),
  };
}

type Publish = <T>(event: OutboxEvent<T>) => Promise<unknown>;

export function stateFor(balance: number, lowBalanceMinor: number): BalanceState {
  if (balance <= 0) return 'exhausted';
  return balance < lowBalanceMinor ? 'low' : 'ok';
}

/**
 * The append-only ledger. Every writer of a company's ledger first locks its account row (`SELECT … FOR UPDATE`),
 * so concurrent debits and credits of one company serialise and each row's running balance is exact; companies
 * do not wait for one another. Rows are only ever inserted.
 */
@Injectable()
export class LedgerService {
  /** Accounts known to exist (they are never deleted), so the common path skips the insert. */
  private readonly known = new Set<string>();

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Creates the account if missing, in its own statement before the caller's transaction: two transactions
   * inserting the same missing row after a locking read deadlock on the gap lock.
   */
  async ensureAccount(companyId: string, currency: Currency): Promise<void> {
    if (this.known.has(companyId)) return;
    const now = new Date();
    await this.dataSource.query(
      'INSERT IGNORE INTO billing_account (company_id, currency, last_seq, balance_state, created_at, updated_at) VALUES (?, ?, 0, ?, ?, ?)',
      [companyId, currency, 'ok', now, now],
    );
    this.known.add(companyId);
  }

  /** Locks (creating if missing; prefer ensureAccount first) the company's account. Its currency is fixed at creation. */
  async lockAccount(manager: EntityManager, companyId: string, currency: Currency): Promise<LockedAccount> {
    let account = await this.selectForUpdate(manager, companyId);
    if (!account) {
      const now = new Date();
      await manager.query(
        'INSERT IGNORE INTO billing_account (company_id, currency, last_seq, balance_state, created_at, updated_at) VALUES (?, ?, 0, ?, ?, ?)',
        [companyId, currency, 'ok', now, now],
      );
      account = await this.selectForUpdate(manager, companyId);
    }
    return account!;
  }

  /** The account if it exists, locked. */
  async lockExisting(manager: EntityManager, companyId: string): Promise<LockedAccount | null> {
    return this.selectForUpdate(manager, companyId);
  }

  private async selectForUpdate(manager: EntityManager, companyId: string): Promise<LockedAccount | null> {
    const rows: { company_id: string; currency: Currency; last_seq: number; balance_state: BalanceState; stripe_customer_id: string | null; default_payment_method_id: string | null; balance_after_minor: string | null; bonus_after_minor: string | null }[] =
      await manager.query(
        `SELECT a.company_id, a.currency, a.last_seq, a.balance_state, a.stripe_customer_id, a.default_payment_method_id, e.balance_after_minor, e.bonus_after_minor
         FROM billing_account a LEFT JOIN ledger_entry e ON e.company_id = a.company_id AND e.seq = a.last_seq
         WHERE a.company_id = ? FOR UPDATE`,
        [companyId],
      );
    const r = rows[0];
    if (!r) return null;
    return {
      companyId: r.company_id,
      currency: r.currency,
      lastSeq: Number(r.last_seq),
      balanceState: r.balance_state,
      stripeCustomerId: r.stripe_customer_id,
      defaultPaymentMethodId: r.default_payment_method_id,
      balance: Number(r.balance_after_minor ?? 0),
      bonus: Number(r.bonus_after_minor ?? 0),
    };
  }

  async hasReference(manager: EntityManager, companyId: string, reference: string): Promise<boolean> {
    const rows = await manager.query('SELECT 1 FROM ledger_entry WHERE company_id = ? AND reference = ? LIMIT 1', [companyId, reference]);
    return rows.length > 0;
  }

  /**
   * Appends one entry to a locked account and updates the account in memory. A reference already posted is not
   * posted again (returns null): with the account locked, the check cannot race.
   */
  async post(manager: EntityManager, account: LockedAccount, posting: Posting, options: { deferAccountUpdate?: boolean } = {}): Promise<LedgerEntry | null> {
    if (!Number.isSafeInteger(posting.amount)) throw new RangeError('amount: must be a whole number of minor units');
    if (!posting.referenceChecked && (await this.hasReference(manager, account.companyId, posting.reference))) return null;
    let paidDelta: number;
    let bonusDelta: number;
    if (posting.amount < 0) {
      const { fromBonus, fromPaid } = splitDebit(-posting.amount, account.bonus);
      bonusDelta = -fromBonus;
      paidDelta = -fromPaid;
    } else if (posting.asBonus) {
      bonusDelta = posting.amount;
      paidDelta = 0;
    } else {
      bonusDelta = 0;
      paidDelta = posting.amount;
    }
    const seq = account.lastSeq + 1;
    const balanceAfter = account.balance + posting.amount;
    const bonusAfter = account.bonus + bonusDelta;
    const now = new Date();
    await manager.query(
      `INSERT INTO ledger_entry (company_id, seq, kind, amount_minor, paid_delta_minor, bonus_delta_minor, balance_after_minor, bonus_after_minor,
         currency, reference, description, occurred_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [account.companyId, seq, posting.kind, posting.amount, paidDelta, bonusDelta, balanceAfter, bonusAfter, account.currency, posting.reference, posting.description.slice(0, 500), posting.occurredAt, now],
    );
    // A batch posting many entries to one account writes the account row once at the end (flushAccount).
    if (!options.deferAccountUpdate) await manager.query('UPDATE billing_account SET last_seq = ?, updated_at = ? WHERE company_id = ?', [seq, now, account.companyId]);
    // Counted when written; a rolled-back transaction over-counts, which the figures tolerate (the ledger is the truth).
    ledgerAmount().inc({ kind: posting.kind, currency: account.currency, direction: posting.amount < 0 ? 'debit' : 'credit' }, Math.abs(posting.amount));
    account.lastSeq = seq;
    account.balance = balanceAfter;
    account.bonus = bonusAfter;
    return {
      seq,
      kind: posting.kind,
      amount: posting.amount,
      paidDelta,
      bonusDelta,
      balanceAfter,
      bonusAfter,
      currency: account.currency,
      reference: posting.reference,
      description: posting.description,
      occurredAt: posting.occurredAt.toISOString(),
    };
  }

  /** Writes the account's last entry after posts with `deferAccountUpdate` (same transaction, lock still held). */
  async flushAccount(manager: EntityManager, account: LockedAccount): Promise<void> {
    await manager.query('UPDATE billing_account SET last_seq = ?, updated_at = ? WHERE company_id = ?', [account.lastSeq, new Date(), account.companyId]);
  }

  /**
   * Moves the account to the state its balance is in and publishes each crossing once: `balance.low` when it falls
   * under the threshold, `balance.exhausted` when it reaches zero, `balance.restored` when a credit lifts it back
   * over the threshold or out of `exhausted`. Returns the previous state. A postpaid account has no crossings (from = to).
   */
  async settleState(manager: EntityManager, account: LockedAccount, thresholds: Thresholds, publish: Publish): Promise<{ from: BalanceState; to: BalanceState }> {
    const from = account.balanceState;
    if (thresholds.postpaid) return { from, to: from };
    const to = stateFor(account.balance, thresholds.lowBalanceMinor);
    if (from === to) return { from, to };
    await manager.query('UPDATE billing_account SET balance_state = ? WHERE company_id = ?', [to, account.companyId]);
    account.balanceState = to;
    const base = { key: account.companyId, companyId: account.companyId, subject: account.companyId };
    const rank = { ok: 0, low: 1, exhausted: 2 } as const;
    if (rank[to] > rank[from]) {
      if (from === 'ok') {
        await publish({ ...base, topic: Topics.balanceLow.name, data: { balance: account.balance, threshold: thresholds.lowBalanceMinor, currency: account.currency } });
      }
      if (to === 'exhausted') {
        await publish({ ...base, topic: Topics.balanceExhausted.name, data: { balance: account.balance, currency: account.currency, refuseCalls: thresholds.refuseCallsWhenExhausted } });
      }
    } else {
      // Back over the threshold, or out of `exhausted` at all (a top-up smaller than the threshold): either way
      // calls refused for the exhausted balance are taken again (the gateway's call acceptance).
      await publish({ ...base, topic: Topics.balanceRestored.name, data: { balance: account.balance, threshold: thresholds.lowBalanceMinor, currency: account.currency } });
    }
    return { from, to };
  }

  /**
   * A change of the company's prices (refusing calls when exhausted, or a partner taking it over as postpaid) while
   * its balance is exhausted changes whether its calls are refused although no crossing happens: `balance.exhausted`
   * is published again with the new `refuseCalls`, so the gateway's call acceptance follows at once instead of at
   * the next crossing. Call inside the transaction that changes the prices.
   */
  async announceRefusalChange(manager: EntityManager, companyId: string, before: Thresholds, after: Thresholds, publish: Publish): Promise<boolean> {
    const refuses = (t: Thresholds) => t.refuseCallsWhenExhausted && !t.postpaid;
    if (refuses(before) === refuses(after)) return false;
    const account = await this.lockExisting(manager, companyId);
    if (!account || account.balanceState !== 'exhausted') return false;
    await publish({
      key: companyId,
      companyId,
      subject: companyId,
      topic: Topics.balanceExhausted.name,
      data: { balance: account.balance, currency: account.currency, refuseCalls: refuses(after) },
    });
    return true;
  }

  async balance(manager: EntityManager, companyId: string): Promise<{ currency: Currency; balance: number; bonus: number; state: BalanceState; lastSeq: number } | null> {
    const rows = await manager.query(
      `SELECT a.currency, a.balance_state, a.last_seq, e.balance_after_minor, e.bonus_after_minor
       FROM billing_account a LEFT JOIN ledger_entry e ON e.company_id = a.company_id AND e.seq = a.last_seq WHERE a.company_id = ?`,
      [companyId],
    );
    const r = rows[0];
    if (!r) return null;
    return { currency: r.currency, balance: Number(r.balance_after_minor ?? 0), bonus: Number(r.bonus_after_minor ?? 0), state: r.balance_state, lastSeq: Number(r.last_seq) };
  }

  async entries(manager: EntityManager, companyId: string, limit: number, before?: number): Promise<LedgerEntry[]> {
    const rows = await manager.query(
      `SELECT seq, kind, amount_minor, paid_delta_minor, bonus_delta_minor, balance_after_minor, bonus_after_minor, currency, reference, description, occurred_at
       FROM ledger_entry WHERE company_id = ?${before ? ' AND seq < ?' : ''} ORDER BY seq DESC LIMIT ?`,
      before ? [companyId, before, limit] : [companyId, limit],
    );
    return rows.map((r: Record<string, unknown>) => ({
      seq: Number(r.seq),
      kind: r.kind as LedgerKind,
      amount: Number(r.amount_minor),
      paidDelta: Number(r.paid_delta_minor),
      bonusDelta: Number(r.bonus_delta_minor),
      balanceAfter: Number(r.balance_after_minor),
      bonusAfter: Number(r.bonus_after_minor),
      currency: r.currency as Currency,
      reference: r.reference as string,
      description: r.description as string,
      occurredAt: new Date(r.occurred_at as string).toISOString(),
    }));
  }
}
