import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `pricing.manage`: setting a company's price overrides (rate, discount, billing mode, free allowance, VAT) is the
 * platform's commercial decision, so only platform admins hold it; a company admin reads prices but never sets them.
 */
export class PricingPermission1733400000000 implements MigrationInterface {
  name = 'PricingPermission1733400000000';

  async up(q: QueryRunner): Promise<void> {
    // A fresh database already has it from the first migration's seed (permissions.ts lists it); INSERT IGNORE.
    await q.query("INSERT IGNORE INTO permission (name) VALUES ('pricing.manage')");
    await q.query("INSERT IGNORE INTO role_permission (role, permission) VALUES ('platform_admin', 'pricing.manage')");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query("DELETE FROM role_permission WHERE permission = 'pricing.manage'");
    await q.query("DELETE FROM permission WHERE name = 'pricing.manage'");
  }
}
