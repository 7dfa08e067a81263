import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Managed companies are postpaid: when their partner's aggregate invoice is paid, each of them gets one
 * `partner_settlement` credit for its lines on it (reference `partner-settlement:<invoice id>`, unique per company
 * through uq_ledger_company_reference). The kind needs a longer column and a place in the kind check.
 */
export class BillingPartnerSettlement1733000000000 implements MigrationInterface {
  name = 'BillingPartnerSettlement1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE ledger_entry DROP CONSTRAINT ck_ledger_kind');
    await q.query(`ALTER TABLE ledger_entry MODIFY kind VARCHAR(24) NOT NULL,
      ADD CONSTRAINT ck_ledger_kind CHECK (kind IN ('usage', 'top_up', 'bonus', 'refund', 'adjustment', 'fee', 'partner_settlement'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE ledger_entry DROP CONSTRAINT ck_ledger_kind');
    await q.query(`ALTER TABLE ledger_entry MODIFY kind VARCHAR(16) NOT NULL,
      ADD CONSTRAINT ck_ledger_kind CHECK (kind IN ('usage', 'top_up', 'bonus', 'refund', 'adjustment', 'fee'))`);
  }
}
