import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `billing.refund`: a credit note gives money back (to the prepaid balance or the partner's Stripe balance), so it
 * is the platform's decision, never a company's own: `billing.manage` (which company admins hold) no longer
 * suffices. Only platform admins hold it; any grant to another role is removed.
 */
export class RefundPermission1734100000000 implements MigrationInterface {
  name = 'RefundPermission1734100000000';

  async up(q: QueryRunner): Promise<void> {
    // A fresh database already has it from the first migration's seed (permissions.ts lists it); INSERT IGNORE.
    await q.query("INSERT IGNORE INTO permission (name) VALUES ('billing.refund')");
    await q.query("INSERT IGNORE INTO role_permission (role, permission) VALUES ('platform_admin', 'billing.refund')");
    await q.query("DELETE FROM role_permission WHERE permission = 'billing.refund' AND role <> 'platform_admin'");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query("DELETE FROM role_permission WHERE permission = 'billing.refund'");
    await q.query("DELETE FROM permission WHERE name = 'billing.refund'");
  }
}
