import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import type { z } from 'zod';
import { Envelope, callCompletedSchema } from '@receptionist/contracts';
import { Inbox, Outbox, PermanentMessageError } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime } from '@receptionist/service-runtime';
import { billedSeconds, ledgerPostings, unratedUsage } from '../common/billing.metrics';
import { LedgerService, LockedAccount, thresholdsOf } from '../ledger/ledger.service';
import { EffectivePrices, PricesService } from '../prices/prices.service';
import { freeSecondsFor, periodOf, rateTalkTime } from './rating';
import { TopUpsService } from '../topups/topups.service';
import { PlanUsage } from '../plans/plan-usage';

type CallCompleted = z.output<typeof callCompletedSchema>;
const CONSUMER = 'billing.usage';

export interface UsageInput {
  companyId: string;
  callId: string;
  billableSeconds: number;
  bookings: number;
  endedAt: Date;
}

interface ChargeResult {
  outcome: 'charged' | 'unpriced' | 'duplicate';
  /** The automatic top-up this debit started (recorded in its transaction), charged after commit. */
  autoTopUpId: string | null;
}

/** What a batch shares between the calls it charges in one transaction. */
interface BatchState {
  /** Accounts locked up front (sorted by company id); written once at the end (flushAccount). */
  accounts: Map<string, LockedAccount>;
  /** usage_charge status per `<company>\0<call>` and kind, read under the locks and kept current by the batch. */
  usage: Map<string, Map<string, string>>;
}

const usageKey = (companyId: string, callId: string) => `${companyId}\u0000${callId}`;

/**
 * Turns a completed call into usage and ledger debits: talk time (and the flat booking fee, if the plan has one)
 * at the company's effective prices, each posted once under the reference `call:<callId>:<kind>`. Two guards make a
 * debit happen exactly once: the inbox (same message again) and the unique usage row per call and kind (the same
 * call in another message, a replay of the whole topic after the inbox was pruned).
 *
 * A company managed by a partner (`partnerCompanyId`) is postpaid: its usage is rated and debited exactly the same
 * way (the ledger is its record of usage), but its balance does not block calls and crosses no threshold (no
 * balance.low / balance.exhausted, no automatic top-up). Its partner pays that usage on the monthly aggregate
 * invoice, and the payment credits it back (`partner_settlement`, InvoicesService). A company that stops being
 * managed is prepaid again: its crossings are evaluated from its next debit on.
 */
@Injectable()
export class UsageService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly inbox: Inbox,
    private readonly outbox: Outbox,
    private readonly ledger: LedgerService,
    private readonly prices: PricesService,
    private readonly topUps: TopUpsService,
    private readonly planUsage: PlanUsage,
    private readonly runtime: MessagingRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  private inputOf(envelope: Envelope<CallCompleted>): UsageInput {
    const companyId = envelope.companyId;
    if (!companyId) throw new PermanentMessageError(`call.completed ${envelope.data.callId} carries no companyId; cannot bill it`, 'no_company');
    return {
      companyId,
      callId: envelope.data.callId,
      billableSeconds: envelope.data.billableSeconds,
      bookings: envelope.data.bookingIds.length,
      endedAt: new Date(envelope.data.endedAt),
    };
  }

  async onCallCompleted(envelope: Envelope<CallCompleted>): Promise<void> {
    const input = this.inputOf(envelope);
    const companyId = input.companyId;
    const prices = await this.prices.effective(companyId, undefined, { cacheMs: 1000 });
    if (prices) await this.ledger.ensureAccount(companyId, prices.currency);
    const handled = await this.inbox.handleOnce(CONSUMER, envelope, (manager) => this.charge(manager, input, prices));
    this.afterCommit(companyId, handled.duplicate ? null : handled.result);
  }

  /**
   * A batch of `call.completed` (one partition, in order) in one transaction: the inbox rows of the new messages,
   * then the accounts of every priced company locked in company-id order (concurrent batches never wait on each
   * other in a cycle), the existing usage of all the batch's calls read once under those locks, each call charged
   * as `charge` does, and each account row written once. A message without a company, or any failure, rolls back the
   * whole batch; the consumer then hands its messages to `onCallCompleted` one by one (retries, DLQ).
   */
  async onCallCompletedBatch(envelopes: Envelope<CallCompleted>[]): Promise<void> {
    const inputs = new Map(envelopes.map((e) => [e.id, this.inputOf(e)]));
    const companies = [...new Set([...inputs.values()].map((i) => i.companyId))].sort();
    const prices = new Map<string, EffectivePrices | null>();
    for (const companyId of companies) {
      const p = await this.prices.effective(companyId, undefined, { cacheMs: 1000 });
      prices.set(companyId, p);
      if (p) await this.ledger.ensureAccount(companyId, p.currency);
    }
    const { result } = await this.inbox.handleBatchOnce(CONSUMER, envelopes, async (manager, fresh) => {
      const batch: BatchState = { accounts: new Map(), usage: new Map() };
      const calls = fresh.map((e) => inputs.get(e.id)!);
      const locked = [...new Set(calls.map((c) => c.companyId))].filter((c) => prices.get(c)).sort();
      for (const companyId of locked) batch.accounts.set(companyId, await this.ledger.lockAccount(manager, companyId, prices.get(companyId)!.currency));
      if (locked.length > 0) {
        const callIds = [...new Set(calls.filter((c) => batch.accounts.has(c.companyId)).map((c) => c.callId))];
        const rows: { company_id: string; call_id: string; kind: string; status: string }[] = await manager.query(
          `SELECT company_id, call_id, kind, status FROM usage_charge WHERE company_id IN (${locked.map(() => '?').join(',')}) AND call_id IN (${callIds.map(() => '?').join(',')})`,
          [...locked, ...callIds],
        );
        for (const r of rows) {
          const key = usageKey(r.company_id, r.call_id);
          batch.usage.set(key, (batch.usage.get(key) ?? new Map()).set(r.kind, r.status));
        }
      }
      const results: [string, ChargeResult][] = [];
      for (const call of calls) results.push([call.companyId, await this.charge(manager, call, prices.get(call.companyId) ?? null, batch)]);
      for (const account of batch.accounts.values()) await this.ledger.flushAccount(manager, account);
      return results;
    });
    this.runtime.relay.wake();
    for (const [companyId, r] of result ?? []) {
      if (r.autoTopUpId) this.chargeAutoTopUp(companyId, r.autoTopUpId);
    }
  }

  private afterCommit(companyId: string, result: ChargeResult | null) {
    // Outbox.add inside the inbox transaction does not wake the relay by itself.
    this.runtime.relay.wake();
    if (result?.autoTopUpId) this.chargeAutoTopUp(companyId, result.autoTopUpId);
  }

  /** After commit, off the consumer's path; if this process dies first, the retry job charges it (same Stripe key). */
  private chargeAutoTopUp(companyId: string, topUpId: string) {
    void this.topUps.chargeAuto(topUpId).catch((error) => this.logger.error({ err: error, companyId, topUpId }, 'automatic top-up not charged; the retry job tries again'));
  }

  /** Rates and debits one call inside the caller's transaction. */
  async charge(manager: EntityManager, input: UsageInput, prices: EffectivePrices | null, batch?: BatchState): Promise<ChargeResult> {
    const period = periodOf(input.endedAt);
    const now = new Date();
    if (!prices) {
      // Never lost: kept unrated and rated once the company's prices arrive (UsageReRater).
      await manager.query(
        `INSERT IGNORE INTO usage_charge (company_id, call_id, kind, period, quantity, status, occurred_at, created_at) VALUES (?, ?, 'talk_time', ?, ?, 'unpriced', ?, ?)`,
        [input.companyId, input.callId, period, input.billableSeconds, input.endedAt, now],
      );
      if (input.bookings > 0) {
        await manager.query(
          `INSERT IGNORE INTO usage_charge (company_id, call_id, kind, period, quantity, status, occurred_at, created_at) VALUES (?, ?, 'booking_fee', ?, ?, 'unpriced', ?, ?)`,
          [input.companyId, input.callId, period, input.bookings, input.endedAt, now],
        );
      }
      unratedUsage().inc({ reason: 'no_prices' });
      this.logger.warn({ companyId: input.companyId, callId: input.callId }, 'call completed for a company without prices; kept unrated');
      return { outcome: 'unpriced', autoTopUpId: null };
    }
    const account = batch?.accounts.get(input.companyId) ?? (await this.ledger.lockAccount(manager, input.companyId, prices.currency));
    if (account.currency !== prices.currency) {
      unratedUsage().inc({ reason: 'currency_mismatch' });
      this.logger.error({ companyId: input.companyId, account: account.currency, prices: prices.currency }, 'prices are in another currency than the account; usage kept unrated');
      await manager.query(
        `INSERT IGNORE INTO usage_charge (company_id, call_id, kind, period, quantity, status, occurred_at, created_at) VALUES (?, ?, 'talk_time', ?, ?, 'unpriced', ?, ?)`,
        [input.companyId, input.callId, period, input.billableSeconds, input.endedAt, now],
      );
      return { outcome: 'unpriced', autoTopUpId: null };
    }
    let status: Map<string, string>;
    if (batch) {
      // Read for the whole batch under its locks; this call's own changes below keep it current.
      const key = usageKey(input.companyId, input.callId);
      status = batch.usage.get(key) ?? new Map();
      batch.usage.set(key, status);
    } else {
      const existing: { kind: string; status: string }[] = await manager.query(
        'SELECT kind, status FROM usage_charge WHERE company_id = ? AND call_id = ?',
        [input.companyId, input.callId],
      );
      status = new Map(existing.map((r) => [r.kind, r.status]));
    }
    const defer = { deferAccountUpdate: !!batch };
    let charged = false;
    // A plan in force: its allowance first, then its overage rates (instead of the company's per-minute prices).
    const plan = status.get('talk_time') !== 'charged' || (input.bookings > 0 && status.get('booking_fee') !== 'charged') ? await this.planUsage.forCharge(manager, input.companyId, account.currency) : null;

    if (status.get('talk_time') !== 'charged' && plan) {
      const { free, amount } = plan.talk(input.billableSeconds);
      const entry = amount > 0
        ? await this.ledger.post(manager, account, {
            kind: 'usage',
            amount: -amount,
            reference: `call:${input.callId}:talk_time`,
            referenceChecked: true,
            description: `Talk time ${input.billableSeconds} s, ${input.billableSeconds - free} s beyond plan ${plan.planCode} (call ${input.callId})`,
            occurredAt: input.endedAt,
          }, defer)
        : null;
      await this.recordCharge(manager, input, 'talk_time', period, input.billableSeconds, free, { ...prices, billingMode: 'per_second' }, plan.overagePerMinute, 0, amount, entry?.seq ?? null, status.has('talk_time'));
      status.set('talk_time', 'charged');
      billedSeconds().inc({ currency: prices.currency }, input.billableSeconds - free);
      if (entry) ledgerPostings().inc({ kind: 'usage' });
      charged = true;
    }
    if (status.get('talk_time') !== 'charged') {
      let free = 0;
      if (prices.freeSecondsPerMonth > 0) {
        const [used] = await manager.query(
          `SELECT COALESCE(SUM(free_quantity), 0) AS used FROM usage_charge WHERE company_id = ? AND period = ? AND kind = 'talk_time' AND status = 'charged'`,
          [input.companyId, period],
        );
        free = freeSecondsFor(input.billableSeconds, prices.freeSecondsPerMonth, Number(used.used));
      }
      const amount = rateTalkTime({
        seconds: input.billableSeconds - free,
        perMinuteMinor: prices.perMinuteMinor,
        mode: prices.billingMode,
        discountBasisPoints: prices.discountBasisPoints,
      });
      const entry = amount > 0
        ? await this.ledger.post(manager, account, {
            kind: 'usage',
            amount: -amount,
            reference: `call:${input.callId}:talk_time`,
            // usage_charge (unique per call and kind) was read under the account lock: not charged yet.
            referenceChecked: true,
            description: `Talk time ${input.billableSeconds} s (call ${input.callId})`,
            occurredAt: input.endedAt,
          }, defer)
        : null;
      await this.recordCharge(manager, input, 'talk_time', period, input.billableSeconds, free, prices, prices.perMinuteMinor, prices.discountBasisPoints, amount, entry?.seq ?? null, status.has('talk_time'));
      status.set('talk_time', 'charged');
      billedSeconds().inc({ currency: prices.currency }, input.billableSeconds - free);
      if (entry) ledgerPostings().inc({ kind: 'usage' });
      charged = true;
    }
    if (input.bookings > 0 && plan && status.get('booking_fee') !== 'charged') {
      const { free, amount } = plan.bookings(input.bookings);
      const entry = amount > 0
        ? await this.ledger.post(manager, account, {
            kind: 'fee',
            amount: -amount,
            reference: `call:${input.callId}:booking_fee`,
            description: `Bookings × ${input.bookings}, ${input.bookings - free} beyond plan ${plan.planCode} (call ${input.callId})`,
            occurredAt: input.endedAt,
          }, defer)
        : null;
      await this.recordCharge(manager, input, 'booking_fee', period, input.bookings, free, prices, plan.overagePerBooking, 0, amount, entry?.seq ?? null, status.has('booking_fee'));
      status.set('booking_fee', 'charged');
      if (entry) ledgerPostings().inc({ kind: 'fee' });
      charged = true;
    }
    await plan?.save(manager);
    if (input.bookings > 0 && prices.perBookingMinor > 0 && status.get('booking_fee') !== 'charged') {
      const amount = input.bookings * prices.perBookingMinor;
      const entry = await this.ledger.post(manager, account, {
        kind: 'fee',
        amount: -amount,
        reference: `call:${input.callId}:booking_fee`,
        description: `Booking fee × ${input.bookings} (call ${input.callId})`,
        occurredAt: input.endedAt,
      }, defer);
      await this.recordCharge(manager, input, 'booking_fee', period, input.bookings, 0, prices, prices.perBookingMinor, 0, amount, entry?.seq ?? null, status.has('booking_fee'));
      status.set('booking_fee', 'charged');
      ledgerPostings().inc({ kind: 'fee' });
      charged = true;
    }
    if (!charged) return { outcome: 'duplicate', autoTopUpId: null };
    const { from, to } = await this.ledger.settleState(
      manager,
      account,
      // Postpaid (managed by a partner, or a postpaid plan's overage): no crossing, so no balance.low/exhausted and no automatic top-up.
      plan?.postpaid ? { ...thresholdsOf(prices), postpaid: true } : thresholdsOf(prices),
      (event) => this.outbox.add(manager, event),
    );
    const crossedDown = from === 'ok' && to !== 'ok';
    return { outcome: 'charged', autoTopUpId: crossedDown ? await this.topUps.startAuto(manager, account, prices) : null };
  }

  private async recordCharge(
    manager: EntityManager,
    input: UsageInput,
    kind: 'talk_time' | 'booking_fee',
    period: string,
    quantity: number,
    free: number,
    prices: EffectivePrices,
    unitPrice: number,
    discount: number,
    amount: number,
    seq: number | null,
    wasUnpriced: boolean,
  ) {
    const now = new Date();
    const mode = kind === 'talk_time' ? prices.billingMode : null;
    if (wasUnpriced) {
      await manager.query(
        `UPDATE usage_charge SET status = 'charged', quantity = ?, free_quantity = ?, billing_mode = ?, unit_price_minor = ?, discount_basis_points = ?, amount_minor = ?,
           currency = ?, ledger_seq = ?, charged_at = ? WHERE company_id = ? AND call_id = ? AND kind = ?`,
        [quantity, free, mode, unitPrice, discount, amount, prices.currency, seq, now, input.companyId, input.callId, kind],
      );
      return;
    }
    await manager.query(
      `INSERT INTO usage_charge (company_id, call_id, kind, period, quantity, free_quantity, billing_mode, unit_price_minor, discount_basis_points, amount_minor, currency, status, ledger_seq, occurred_at, created_at, charged_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'charged', ?, ?, ?, ?)`,
      [input.companyId, input.callId, kind, period, quantity, free, mode, unitPrice, discount, amount, prices.currency, seq, input.endedAt, now, now],
    );
  }

  /**
   * Rates usage kept unrated (prices arrived late), oldest first. Returns how many calls were charged. Usage that
   * still cannot be rated at the company's current prices (they are in another currency than its account) is marked
   * with that pricing revision and skipped until the company's set-up changes: otherwise the same unrateable rows
   * would fill every round and starve the usage of every other company behind them.
   */
  async rateUnpriced(limit = 200): Promise<number> {
    const rows: { company_id: string; call_id: string; quantity: number; occurred_at: Date; kind: string; revision: string }[] = await this.dataSource.query(
      // Only companies whose prices have arrived: usage of companies still without prices must not block the queue.
      `SELECT u.company_id, u.call_id, u.kind, u.quantity, u.occurred_at, p.revision FROM usage_charge u JOIN company_pricing p ON p.company_id = u.company_id
       WHERE u.status = 'unpriced' AND (u.rate_skipped_revision IS NULL OR u.rate_skipped_revision <> p.revision)
       ORDER BY u.occurred_at, u.id LIMIT ?`,
      [limit],
    );
    const calls = new Map<string, UsageInput & { revision: string }>();
    for (const r of rows) {
      const key = `${r.company_id}\u0000${r.call_id}`;
      const input = calls.get(key) ?? { companyId: r.company_id, callId: r.call_id, billableSeconds: 0, bookings: 0, endedAt: new Date(r.occurred_at), revision: r.revision };
      if (r.kind === 'talk_time') input.billableSeconds = Number(r.quantity);
      else input.bookings = Number(r.quantity);
      calls.set(key, input);
    }
    let charged = 0;
    for (const { revision, ...input } of calls.values()) {
      try {
        const prices = await this.prices.effective(input.companyId);
        if (!prices) continue;
        const { outcome } = await this.chargeOnce(input, prices);
        if (outcome === 'charged') charged += 1;
        else if (outcome === 'unpriced') {
          await this.dataSource.query(`UPDATE usage_charge SET rate_skipped_revision = ? WHERE company_id = ? AND call_id = ? AND status = 'unpriced'`, [revision, input.companyId, input.callId]);
        }
      } catch (error) {
        // One call failing (a deadlock, a lost connection) does not stop the round; it is tried again next round.
        this.logger.warn({ companyId: input.companyId, callId: input.callId, err: { message: (error as Error).message } }, 'unrated usage not rated this round');
      }
    }
    return charged;
  }

  /** Charges one call in a transaction of its own (re-rating; tests). */
  async chargeOnce(input: UsageInput, prices: EffectivePrices): Promise<ChargeResult> {
    await this.ledger.ensureAccount(input.companyId, prices.currency);
    const result = await this.outbox.transaction((manager) => this.charge(manager, input, prices));
    this.afterCommit(input.companyId, result);
    return result;
  }
}
