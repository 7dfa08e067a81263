import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { z } from 'zod';
import type { billingSetupSchema, currency } from '@receptionist/contracts';

export type BillingSetup = z.output<typeof billingSetupSchema>;

/** A company's prices in integer minor units of its currency. */
export interface CompanyPricing {
  companyId: string;
  currency: z.output<typeof currency>;
  perMinuteMinor: number;
  perBookingMinor: number;
  lowBalanceThresholdMinor: number;
  topUpMinor: number;
  autoTopUp: boolean;
  /** The partner this company is invoiced to (aggregate invoice), or null. */
  partnerCompanyId: string | null;
  revision: string;
  updatedAt: Date;
}

interface Row {
  company_id: string;
  currency: CompanyPricing['currency'];
  per_minute_minor: number;
  per_booking_minor: number;
  low_balance_threshold_minor: number;
  top_up_minor: number;
  auto_top_up: number;
  partner_company_id: string | null;
  revision: string;
  updated_at: Date;
}

const toPricing = (r: Row): CompanyPricing => ({
  companyId: r.company_id,
  currency: r.currency,
  perMinuteMinor: Number(r.per_minute_minor),
  perBookingMinor: Number(r.per_booking_minor),
  lowBalanceThresholdMinor: Number(r.low_balance_threshold_minor),
  topUpMinor: Number(r.top_up_minor),
  autoTopUp: Boolean(r.auto_top_up),
  partnerCompanyId: r.partner_company_id ?? null,
  revision: r.revision,
  updatedAt: new Date(r.updated_at),
});

/** `company_pricing`: one row per company, replaced as a whole by each new set-up revision. */
@Injectable()
export class PricingRepository {
  constructor(private readonly dataSource: DataSource) {}

  async forCompany(companyId: string, manager: EntityManager = this.dataSource.manager, lock = false): Promise<CompanyPricing | null> {
    const rows: Row[] = await manager.query(`SELECT * FROM company_pricing WHERE company_id = ?${lock ? ' FOR UPDATE' : ''}`, [companyId]);
    return rows[0] ? toPricing(rows[0]) : null;
  }

  async save(manager: EntityManager, setup: BillingSetup, at: Date): Promise<void> {
    const p = setup.pricing;
    await manager.query(
      `INSERT INTO company_pricing (company_id, currency, per_minute_minor, per_booking_minor, low_balance_threshold_minor, top_up_minor, auto_top_up, partner_company_id, revision, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE currency = VALUES(currency), per_minute_minor = VALUES(per_minute_minor), per_booking_minor = VALUES(per_booking_minor),
         low_balance_threshold_minor = VALUES(low_balance_threshold_minor), top_up_minor = VALUES(top_up_minor), auto_top_up = VALUES(auto_top_up),
         partner_company_id = VALUES(partner_company_id),
         revision = VALUES(revision), updated_at = VALUES(updated_at)`,
      [setup.companyId, setup.currency, p.perMinuteMinor, p.perBookingMinor, p.lowBalanceThresholdMinor, p.topUpMinor, p.autoTopUp ? 1 : 0,
       // A company cannot be its own partner: that would leave its usage on no invoice at all.
       p.partnerCompanyId && p.partnerCompanyId !== setup.companyId ? p.partnerCompanyId : null, setup.revision, at],
    );
  }
}
