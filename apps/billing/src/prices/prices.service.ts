import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Outbox } from '@receptionist/messaging';
import { MessagingRuntime, SERVICE_CONFIG } from '@receptionist/service-runtime';
import { PricingRepository } from '../pricing/pricing.repository';
import type { BillingEnv } from '../config';
import type { BillingMode } from '../usage/rating';
import { LedgerService, thresholdsOf, type Currency } from '../ledger/ledger.service';

/** Company-level overrides of the plan from onboarding (`company_pricing`); null = use the plan / default. */
export interface PriceOverride {
  perMinuteMinor: number | null;
  discountBasisPoints: number | null;
  billingMode: BillingMode | null;
  freeSecondsPerMonth: number | null;
  vatBasisPoints: number | null;
  refuseCallsWhenExhausted: boolean | null;
}

/** What a company is charged: its plan with its overrides applied. */
export interface EffectivePrices {
  companyId: string;
  currency: Currency;
  perMinuteMinor: number;
  perBookingMinor: number;
  billingMode: BillingMode;
  discountBasisPoints: number;
  freeSecondsPerMonth: number;
  vatBasisPoints: number;
  lowBalanceThresholdMinor: number;
  topUpMinor: number;
  autoTopUp: boolean;
  refuseCallsWhenExhausted: boolean;
  /** Invoiced to this partner (aggregate invoice) instead of itself. */
  partnerCompanyId: string | null;
  revision: string;
  overrides: PriceOverride;
}

const NO_OVERRIDE: PriceOverride = {
  perMinuteMinor: null,
  discountBasisPoints: null,
  billingMode: null,
  freeSecondsPerMonth: null,
  vatBasisPoints: null,
  refuseCallsWhenExhausted: null,
};

const FIELDS: Record<keyof PriceOverride, string> = {
  perMinuteMinor: 'per_minute_minor',
  discountBasisPoints: 'discount_basis_points',
  billingMode: 'billing_mode',
  freeSecondsPerMonth: 'free_seconds_per_month',
  vatBasisPoints: 'vat_basis_points',
  refuseCallsWhenExhausted: 'refuse_calls_when_exhausted',
};

@Injectable()
export class PricesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly pricing: PricingRepository,
    private readonly ledger: LedgerService,
    private readonly outbox: Outbox,
    private readonly runtime: MessagingRuntime,
    @Inject(SERVICE_CONFIG) private readonly config: BillingEnv,
  ) {}

  async override(companyId: string, manager: EntityManager = this.dataSource.manager): Promise<PriceOverride> {
    const rows = await manager.query('SELECT * FROM price_override WHERE company_id = ?', [companyId]);
    const r = rows[0];
    if (!r) return NO_OVERRIDE;
    return {
      perMinuteMinor: r.per_minute_minor === null ? null : Number(r.per_minute_minor),
      discountBasisPoints: r.discount_basis_points === null ? null : Number(r.discount_basis_points),
      billingMode: r.billing_mode,
      freeSecondsPerMonth: r.free_seconds_per_month === null ? null : Number(r.free_seconds_per_month),
      vatBasisPoints: r.vat_basis_points === null ? null : Number(r.vat_basis_points),
      refuseCallsWhenExhausted: r.refuse_calls_when_exhausted === null ? null : Boolean(r.refuse_calls_when_exhausted),
    };
  }

  private readonly cache = new Map<string, { at: number; prices: EffectivePrices }>();

  /**
   * Null while the company's set-up (prices) has not arrived. `cacheMs` lets the hot usage path reuse a recent
   * read: a price change then applies to calls completing up to that long after it (absence is never cached).
   */
  async effective(companyId: string, manager: EntityManager = this.dataSource.manager, options: { cacheMs?: number } = {}): Promise<EffectivePrices | null> {
    if (options.cacheMs) {
      const hit = this.cache.get(companyId);
      if (hit && Date.now() - hit.at < options.cacheMs) return hit.prices;
      const prices = await this.effective(companyId, manager);
      if (prices) {
        if (this.cache.size > 10_000) this.cache.clear();
        this.cache.set(companyId, { at: Date.now(), prices });
      }
      return prices;
    }
    const [plan, o] = await Promise.all([this.pricing.forCompany(companyId, manager), this.override(companyId, manager)]);
    if (!plan) return null;
    return {
      companyId,
      currency: plan.currency,
      perMinuteMinor: o.perMinuteMinor ?? plan.perMinuteMinor,
      perBookingMinor: plan.perBookingMinor,
      billingMode: o.billingMode ?? 'per_second',
      discountBasisPoints: o.discountBasisPoints ?? 0,
      freeSecondsPerMonth: o.freeSecondsPerMonth ?? 0,
      vatBasisPoints: o.vatBasisPoints ?? this.config.BILLING_DEFAULT_VAT_BASIS_POINTS,
      lowBalanceThresholdMinor: plan.lowBalanceThresholdMinor,
      topUpMinor: plan.topUpMinor,
      autoTopUp: plan.autoTopUp,
      refuseCallsWhenExhausted: o.refuseCallsWhenExhausted ?? false,
      partnerCompanyId: plan.partnerCompanyId,
      revision: plan.revision,
      overrides: o,
    };
  }

  /** Sets the given overrides (undefined keeps, null clears). */
  async setOverride(companyId: string, changes: Partial<PriceOverride>): Promise<PriceOverride> {
    let announced = false;
    await this.dataSource.transaction(async (manager) => {
      const before = await this.effective(companyId, manager);
      const current = await this.override(companyId, manager);
      const next = { ...current };
      for (const key of Object.keys(FIELDS) as (keyof PriceOverride)[]) {
        if (changes[key] !== undefined) (next as Record<string, unknown>)[key] = changes[key];
      }
      const columns = Object.values(FIELDS);
      const values = (Object.keys(FIELDS) as (keyof PriceOverride)[]).map((k) => (typeof next[k] === 'boolean' ? (next[k] ? 1 : 0) : next[k]));
      await manager.query(
        `INSERT INTO price_override (company_id, ${columns.join(', ')}, updated_at) VALUES (?, ${columns.map(() => '?').join(', ')}, ?)
         ON DUPLICATE KEY UPDATE ${columns.map((c) => `${c} = VALUES(${c})`).join(', ')}, updated_at = VALUES(updated_at)`,
        [companyId, ...values, new Date()],
      );
      // Turning refusal on or off while the balance is exhausted takes effect now (the gateway's call acceptance).
      if (before) {
        announced = await this.ledger.announceRefusalChange(manager, companyId, thresholdsOf(before), thresholdsOf(await this.effective(companyId, manager)), (event) =>
          this.outbox.add(manager, event),
        );
      }
    });
    if (announced) this.runtime.relay.wake();
    this.cache.delete(companyId);
    return this.override(companyId);
  }
}
