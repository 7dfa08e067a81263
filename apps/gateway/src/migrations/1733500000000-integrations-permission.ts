import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `integrations.manage`: a company's callback webhook subscriptions (where its events are sent, and their signing
 * secrets) are the company admin's to manage; staff do not see them.
 */
export class IntegrationsPermission1733500000000 implements MigrationInterface {
  name = 'IntegrationsPermission1733500000000';

  async up(q: QueryRunner): Promise<void> {
    // A fresh database already has it from the first migration's seed (permissions.ts lists it); INSERT IGNORE.
    await q.query("INSERT IGNORE INTO permission (name) VALUES ('integrations.manage')");
    await q.query("INSERT IGNORE INTO role_permission (role, permission) VALUES ('platform_admin', 'integrations.manage'), ('company_admin', 'integrations.manage')");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query("DELETE FROM role_permission WHERE permission = 'integrations.manage'");
    await q.query("DELETE FROM permission WHERE name = 'integrations.manage'");
  }
}
