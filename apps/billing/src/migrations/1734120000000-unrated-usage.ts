import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Re-rating unrated usage (UsageService.rateUnpriced): oldest first, and usage that cannot be rated at the company's
 * current prices (prices in another currency than the account) is marked with that pricing revision and skipped
 * until the company's set-up changes, so it no longer fills every round and starves the rest.
 */
export class BillingUnratedUsage1734120000000 implements MigrationInterface {
  name = 'BillingUnratedUsage1734120000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE usage_charge ADD COLUMN rate_skipped_revision VARCHAR(64) NULL, ADD KEY ix_usage_status_age (status, occurred_at, id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE usage_charge DROP KEY ix_usage_status_age, DROP COLUMN rate_skipped_revision');
  }
}
