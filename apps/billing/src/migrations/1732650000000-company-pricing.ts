import { MigrationInterface, QueryRunner } from 'typeorm';

/** Each company's prices and balance thresholds, as imported by onboarding (`company.setup.billing`). */
export class CompanyPricing1732650000000 implements MigrationInterface {
  name = 'CompanyPricing1732650000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE company_pricing (
      company_id CHAR(36) NOT NULL,
      currency CHAR(3) NOT NULL,
      per_minute_minor INT NOT NULL,
      per_booking_minor INT NOT NULL,
      low_balance_threshold_minor INT NOT NULL,
      top_up_minor INT NOT NULL,
      auto_top_up TINYINT(1) NOT NULL,
      revision VARCHAR(64) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (company_id),
      CONSTRAINT ck_company_pricing_currency CHECK (currency IN ('EUR', 'USD', 'GBP')),
      CONSTRAINT ck_company_pricing_amounts CHECK (per_minute_minor >= 0 AND per_booking_minor >= 0 AND low_balance_threshold_minor >= 0 AND top_up_minor >= 0)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE company_pricing');
  }
}
