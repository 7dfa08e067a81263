import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Billing accounts, the append-only ledger, rated usage, price overrides, top-ups, invoices and the Stripe events
 * seen. Money is BIGINT minor units; nothing here is a float. The balance is never a column that is edited: every
 * ledger row carries the running balance after it (`balance_after_minor`), and the account only points at its
 * last row (`last_seq`), which is what writers lock.
 */
export class BillingLedger1732700000000 implements MigrationInterface {
  name = 'BillingLedger1732700000000';

  async up(q: QueryRunner): Promise<void> {
    const table = (sql: string) => q.query(`${sql} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await table(`CREATE TABLE billing_account (
      company_id VARCHAR(64) NOT NULL,
      currency CHAR(3) NOT NULL,
      last_seq INT NOT NULL DEFAULT 0,
      balance_state VARCHAR(12) NOT NULL DEFAULT 'ok',
      stripe_customer_id VARCHAR(64) NULL,
      default_payment_method_id VARCHAR(64) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (company_id),
      UNIQUE KEY uq_billing_account_customer (stripe_customer_id),
      CONSTRAINT ck_billing_account_currency CHECK (currency IN ('EUR', 'USD', 'GBP')),
      CONSTRAINT ck_billing_account_state CHECK (balance_state IN ('ok', 'low', 'exhausted'))
    )`);
    await table(`CREATE TABLE ledger_entry (
      id BIGINT NOT NULL AUTO_INCREMENT,
      company_id VARCHAR(64) NOT NULL,
      seq INT NOT NULL,
      kind VARCHAR(16) NOT NULL,
      amount_minor BIGINT NOT NULL,
      paid_delta_minor BIGINT NOT NULL,
      bonus_delta_minor BIGINT NOT NULL,
      balance_after_minor BIGINT NOT NULL,
      bonus_after_minor BIGINT NOT NULL,
      currency CHAR(3) NOT NULL,
      reference VARCHAR(191) NOT NULL,
      description VARCHAR(500) NOT NULL,
      occurred_at DATETIME(3) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_ledger_company_seq (company_id, seq),
      UNIQUE KEY uq_ledger_company_reference (company_id, reference),
      KEY ix_ledger_company_kind_occurred (company_id, kind, occurred_at),
      CONSTRAINT ck_ledger_parts CHECK (amount_minor = paid_delta_minor + bonus_delta_minor),
      CONSTRAINT ck_ledger_kind CHECK (kind IN ('usage', 'top_up', 'bonus', 'refund', 'adjustment', 'fee'))
    )`);
    await table(`CREATE TABLE usage_charge (
      id BIGINT NOT NULL AUTO_INCREMENT,
      company_id VARCHAR(64) NOT NULL,
      call_id VARCHAR(128) NOT NULL,
      kind VARCHAR(16) NOT NULL,
      period CHAR(7) NOT NULL,
      quantity INT NOT NULL,
      free_quantity INT NOT NULL DEFAULT 0,
      billing_mode VARCHAR(12) NULL,
      unit_price_minor INT NULL,
      discount_basis_points INT NOT NULL DEFAULT 0,
      amount_minor BIGINT NULL,
      currency CHAR(3) NULL,
      status VARCHAR(10) NOT NULL,
      ledger_seq INT NULL,
      occurred_at DATETIME(3) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      charged_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_usage_call_kind (company_id, call_id, kind),
      KEY ix_usage_company_period (company_id, period, status),
      KEY ix_usage_status (status, id),
      CONSTRAINT ck_usage_status CHECK (status IN ('charged', 'unpriced')),
      CONSTRAINT ck_usage_amount CHECK (amount_minor IS NULL OR amount_minor >= 0)
    )`);
    await table(`CREATE TABLE price_override (
      company_id VARCHAR(64) NOT NULL,
      per_minute_minor INT NULL,
      discount_basis_points INT NULL,
      billing_mode VARCHAR(12) NULL,
      free_seconds_per_month INT NULL,
      vat_basis_points INT NULL,
      refuse_calls_when_exhausted TINYINT(1) NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (company_id),
      CONSTRAINT ck_price_override_mode CHECK (billing_mode IS NULL OR billing_mode IN ('per_second', 'per_minute')),
      CONSTRAINT ck_price_override_bp CHECK ((discount_basis_points IS NULL OR discount_basis_points BETWEEN 0 AND 10000)
        AND (vat_basis_points IS NULL OR vat_basis_points BETWEEN 0 AND 10000))
    )`);
    await table(`CREATE TABLE top_up (
      id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      kind VARCHAR(12) NOT NULL,
      amount_minor BIGINT NOT NULL,
      bonus_minor BIGINT NOT NULL DEFAULT 0,
      currency CHAR(3) NOT NULL,
      status VARCHAR(12) NOT NULL,
      idempotency_key VARCHAR(200) NULL,
      stripe_checkout_session_id VARCHAR(255) NULL,
      stripe_payment_intent_id VARCHAR(255) NULL,
      checkout_url VARCHAR(1000) NULL,
      failure_reason VARCHAR(500) NULL,
      created_at DATETIME(3) NOT NULL,
      completed_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_top_up_key (company_id, idempotency_key),
      UNIQUE KEY uq_top_up_session (stripe_checkout_session_id),
      UNIQUE KEY uq_top_up_intent (stripe_payment_intent_id),
      KEY ix_top_up_status (status, kind, created_at),
      CONSTRAINT ck_top_up_amount CHECK (amount_minor > 0 AND bonus_minor >= 0),
      CONSTRAINT ck_top_up_status CHECK (status IN ('pending', 'paid', 'failed', 'expired'))
    )`);
    await table(`CREATE TABLE invoice (
      id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      period CHAR(7) NOT NULL,
      status VARCHAR(16) NOT NULL,
      currency CHAR(3) NOT NULL,
      vat_basis_points INT NOT NULL,
      total_minor BIGINT NOT NULL,
      tax_minor BIGINT NULL,
      line_items JSON NOT NULL,
      stripe_invoice_id VARCHAR(64) NULL,
      number VARCHAR(64) NULL,
      hosted_invoice_url VARCHAR(1000) NULL,
      invoice_pdf VARCHAR(1000) NULL,
      failure_reason VARCHAR(500) NULL,
      created_at DATETIME(3) NOT NULL,
      finalized_at DATETIME(3) NULL,
      paid_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_invoice_company_period (company_id, period),
      UNIQUE KEY uq_invoice_stripe (stripe_invoice_id),
      KEY ix_invoice_status (status, created_at),
      CONSTRAINT ck_invoice_status CHECK (status IN ('creating', 'open', 'paid', 'payment_failed', 'void'))
    )`);
    await table(`CREATE TABLE stripe_event (
      event_id VARCHAR(255) NOT NULL,
      type VARCHAR(100) NOT NULL,
      company_id VARCHAR(64) NULL,
      outcome VARCHAR(16) NOT NULL,
      detail VARCHAR(500) NULL,
      stripe_created_at DATETIME(3) NOT NULL,
      handled_at DATETIME(3) NOT NULL,
      PRIMARY KEY (event_id),
      KEY ix_stripe_event_outcome (outcome, handled_at)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['stripe_event', 'invoice', 'top_up', 'price_override', 'usage_charge', 'ledger_entry', 'billing_account']) await q.query(`DROP TABLE ${t}`);
  }
}
