import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Plans and subscriptions (Stripe Billing). `plan` / `plan_price`: what the operator offers, with the Stripe
 * product and one Stripe price per currency and fee (prices are immutable in Stripe: a new fee is a new price).
 * `subscription`: one per company, the last state read from Stripe plus our dunning state. `subscription_invoice`:
 * Stripe's invoices of subscriptions, forward-only (a paid one stays paid whatever arrives later). `plan_usage`:
 * per company and subscription period, the allowance used and the overage charged, closed once the period ends.
 * Ledger kind `plan_settlement`: a postpaid plan's overage paid with the subscription invoice.
 */
export class BillingPlans1734300000000 implements MigrationInterface {
  name = 'BillingPlans1734300000000';

  async up(q: QueryRunner): Promise<void> {
    const table = (sql: string) => q.query(`${sql} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await table(`CREATE TABLE plan (
      code VARCHAR(40) NOT NULL,
      name VARCHAR(100) NOT NULL,
      billing_interval VARCHAR(5) NOT NULL,
      included_minutes INT NOT NULL,
      included_bookings INT NOT NULL,
      trial_days INT NOT NULL,
      postpaid TINYINT(1) NOT NULL,
      active TINYINT(1) NOT NULL,
      stripe_product_id VARCHAR(64) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (code),
      CONSTRAINT ck_plan_interval CHECK (billing_interval IN ('month', 'year'))
    )`);
    await table(`CREATE TABLE plan_price (
      plan_code VARCHAR(40) NOT NULL,
      currency CHAR(3) NOT NULL,
      fee_minor BIGINT NOT NULL,
      overage_per_minute_minor INT NOT NULL,
      overage_per_booking_minor INT NOT NULL,
      stripe_price_id VARCHAR(64) NULL,
      PRIMARY KEY (plan_code, currency),
      CONSTRAINT ck_plan_price_amounts CHECK (fee_minor >= 0 AND overage_per_minute_minor >= 0 AND overage_per_booking_minor >= 0)
    )`);
    await table(`CREATE TABLE subscription (
      company_id VARCHAR(64) NOT NULL,
      plan_code VARCHAR(40) NOT NULL,
      currency CHAR(3) NOT NULL,
      stripe_subscription_id VARCHAR(64) NULL,
      status VARCHAR(20) NOT NULL,
      current_period_start DATETIME NULL,
      current_period_end DATETIME NULL,
      trial_end DATETIME NULL,
      cancel_at_period_end TINYINT(1) NOT NULL DEFAULT 0,
      dunning VARCHAR(10) NOT NULL DEFAULT 'ok',
      grace_until DATETIME(3) NULL,
      reminders INT NOT NULL DEFAULT 0,
      last_reminder_at DATETIME(3) NULL,
      refusal_message VARCHAR(500) NULL,
      upcoming_amount_minor BIGINT NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (company_id),
      UNIQUE KEY uq_subscription_stripe (stripe_subscription_id),
      KEY ix_subscription_dunning (dunning, grace_until),
      CONSTRAINT ck_subscription_dunning CHECK (dunning IN ('ok', 'grace', 'refusing'))
    )`);
    await table(`CREATE TABLE subscription_invoice (
      stripe_invoice_id VARCHAR(64) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      stripe_subscription_id VARCHAR(64) NOT NULL,
      status VARCHAR(16) NOT NULL,
      billing_reason VARCHAR(40) NULL,
      amount_due_minor BIGINT NOT NULL,
      amount_paid_minor BIGINT NOT NULL,
      currency CHAR(3) NOT NULL,
      attempt_count INT NOT NULL DEFAULT 0,
      number VARCHAR(64) NULL,
      hosted_invoice_url VARCHAR(1000) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (stripe_invoice_id),
      KEY ix_subscription_invoice_company (company_id, status),
      CONSTRAINT ck_subscription_invoice_status CHECK (status IN ('open', 'payment_failed', 'paid', 'void'))
    )`);
    await table(`CREATE TABLE plan_usage (
      company_id VARCHAR(64) NOT NULL,
      period_start DATETIME NOT NULL,
      period_end DATETIME NOT NULL,
      plan_code VARCHAR(40) NOT NULL,
      currency CHAR(3) NOT NULL,
      postpaid TINYINT(1) NOT NULL,
      included_seconds BIGINT NOT NULL,
      included_bookings INT NOT NULL,
      used_seconds BIGINT NOT NULL DEFAULT 0,
      used_bookings INT NOT NULL DEFAULT 0,
      overage_seconds BIGINT NOT NULL DEFAULT 0,
      overage_bookings INT NOT NULL DEFAULT 0,
      overage_minor BIGINT NOT NULL DEFAULT 0,
      closed_at DATETIME(3) NULL,
      stripe_invoice_item_id VARCHAR(64) NULL,
      PRIMARY KEY (company_id, period_start),
      KEY ix_plan_usage_open (closed_at, company_id)
    )`);
    await q.query('ALTER TABLE ledger_entry DROP CONSTRAINT ck_ledger_kind');
    await q.query(`ALTER TABLE ledger_entry
      ADD CONSTRAINT ck_ledger_kind CHECK (kind IN ('usage', 'top_up', 'bonus', 'refund', 'adjustment', 'fee', 'partner_settlement', 'plan_settlement'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE ledger_entry DROP CONSTRAINT ck_ledger_kind');
    await q.query(`ALTER TABLE ledger_entry
      ADD CONSTRAINT ck_ledger_kind CHECK (kind IN ('usage', 'top_up', 'bonus', 'refund', 'adjustment', 'fee', 'partner_settlement'))`);
    for (const t of ['plan_usage', 'subscription_invoice', 'subscription', 'plan_price', 'plan']) await q.query(`DROP TABLE ${t}`);
  }
}
