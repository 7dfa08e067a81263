import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Automatic top-ups that survive a crash (attempts, the card they charge), the saved card's freshness, partners
 * (resellers) whose managed companies are invoiced to them on one aggregate invoice numbered `AGG-YYYY-MM-NNN`,
 * and credit notes for refunds.
 */
export class BillingPaymentsPartners1732900000000 implements MigrationInterface {
  name = 'BillingPaymentsPartners1732900000000';

  async up(q: QueryRunner): Promise<void> {
    const table = (sql: string) => q.query(`${sql} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`ALTER TABLE top_up
      ADD COLUMN payment_method_id VARCHAR(64) NULL,
      ADD COLUMN attempts INT NOT NULL DEFAULT 0,
      ADD COLUMN next_attempt_at DATETIME(3) NULL`);
    // Stripe's \`created\` of the customer.updated that set the saved card: an older event never overwrites a newer card.
    await q.query('ALTER TABLE billing_account ADD COLUMN payment_method_set_at BIGINT NULL');
    await q.query('ALTER TABLE company_pricing ADD COLUMN partner_company_id VARCHAR(64) NULL, ADD KEY ix_company_pricing_partner (partner_company_id)');
    await q.query(`ALTER TABLE invoice
      ADD COLUMN kind VARCHAR(12) NOT NULL DEFAULT 'company',
      ADD COLUMN refunded_minor BIGINT NOT NULL DEFAULT 0,
      DROP INDEX uq_invoice_company_period,
      ADD UNIQUE KEY uq_invoice_company_period_kind (company_id, period, kind),
      ADD UNIQUE KEY uq_invoice_number (number),
      ADD CONSTRAINT ck_invoice_kind CHECK (kind IN ('company', 'aggregate')),
      ADD CONSTRAINT ck_invoice_refunded CHECK (refunded_minor >= 0 AND refunded_minor <= total_minor)`);
    // One counter row per month; incremented in the transaction that gives the invoice its number, so numbers have
    // neither gaps nor duplicates even with several billing instances (the row lock serialises them).
    await table(`CREATE TABLE aggregate_invoice_counter (
      period CHAR(7) NOT NULL,
      last_seq INT NOT NULL,
      PRIMARY KEY (period)
    )`);
    await table(`CREATE TABLE credit_note (
      id CHAR(36) NOT NULL,
      invoice_id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      amount_minor BIGINT NOT NULL,
      currency CHAR(3) NOT NULL,
      reason VARCHAR(500) NULL,
      source VARCHAR(12) NOT NULL,
      idempotency_key VARCHAR(200) NULL,
      stripe_credit_note_id VARCHAR(64) NULL,
      stripe_refund_id VARCHAR(64) NULL,
      number VARCHAR(64) NULL,
      status VARCHAR(12) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_credit_note_key (invoice_id, idempotency_key),
      UNIQUE KEY uq_credit_note_stripe (stripe_credit_note_id),
      UNIQUE KEY uq_credit_note_refund (stripe_refund_id),
      KEY ix_credit_note_company (company_id, created_at),
      CONSTRAINT ck_credit_note_amount CHECK (amount_minor > 0),
      CONSTRAINT ck_credit_note_source CHECK (source IN ('admin', 'stripe')),
      CONSTRAINT ck_credit_note_status CHECK (status IN ('creating', 'issued'))
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE credit_note');
    await q.query('DROP TABLE aggregate_invoice_counter');
    await q.query(`ALTER TABLE invoice DROP CONSTRAINT ck_invoice_refunded, DROP CONSTRAINT ck_invoice_kind, DROP INDEX uq_invoice_number,
      DROP INDEX uq_invoice_company_period_kind, ADD UNIQUE KEY uq_invoice_company_period (company_id, period), DROP COLUMN refunded_minor, DROP COLUMN kind`);
    await q.query('ALTER TABLE company_pricing DROP KEY ix_company_pricing_partner, DROP COLUMN partner_company_id');
    await q.query('ALTER TABLE billing_account DROP COLUMN payment_method_set_at');
    await q.query('ALTER TABLE top_up DROP COLUMN next_attempt_at, DROP COLUMN attempts, DROP COLUMN payment_method_id');
  }
}
