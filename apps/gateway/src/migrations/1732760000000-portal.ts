import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';
const PORTAL_MANAGERS = ['platform_admin', 'company_admin', 'company_staff'];

/**
 * Customer portal (apps/gateway/src/portal): invitations (only the SHA-256 of the link's secret is kept),
 * portal accounts bound to one company and the customer's phone / e-mail, portal tokens; and the
 * `portal.manage` permission for the roles that invite customers.
 */
export class Portal1732760000000 implements MigrationInterface {
  name = 'Portal1732760000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE portal_customer (
      id CHAR(36) NOT NULL,
      company_id CHAR(36) NOT NULL,
      name VARCHAR(200) NOT NULL,
      phone VARCHAR(20) NULL,
      email VARCHAR(254) NULL,
      password_hash VARCHAR(255) NOT NULL,
      invitation_id CHAR(36) NOT NULL,
      disabled_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_portal_customer_phone (company_id, phone),
      UNIQUE KEY uq_portal_customer_email (company_id, email),
      KEY ix_portal_customer_phone (phone),
      KEY ix_portal_customer_email (email),
      CONSTRAINT fk_portal_customer_company FOREIGN KEY (company_id) REFERENCES company (id) ON DELETE CASCADE,
      CONSTRAINT ck_portal_customer_contact CHECK (phone IS NOT NULL OR email IS NOT NULL)
    ) ${TABLE}`);
    await q.query(`CREATE TABLE portal_invitation (
      id CHAR(36) NOT NULL,
      company_id CHAR(36) NOT NULL,
      name VARCHAR(200) NOT NULL,
      phone VARCHAR(20) NULL,
      email VARCHAR(254) NULL,
      token_hash CHAR(64) NOT NULL,
      expires_at DATETIME(3) NOT NULL,
      used_at DATETIME(3) NULL,
      revoked_at DATETIME(3) NULL,
      portal_customer_id CHAR(36) NULL,
      created_by_user_id CHAR(36) NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      KEY ix_portal_invitation_company (company_id, created_at),
      CONSTRAINT fk_portal_invitation_company FOREIGN KEY (company_id) REFERENCES company (id) ON DELETE CASCADE,
      CONSTRAINT fk_portal_invitation_customer FOREIGN KEY (portal_customer_id) REFERENCES portal_customer (id) ON DELETE SET NULL,
      CONSTRAINT ck_portal_invitation_contact CHECK (phone IS NOT NULL OR email IS NOT NULL)
    ) ${TABLE}`);
    await q.query(`CREATE TABLE portal_token (
      id CHAR(36) NOT NULL,
      portal_customer_id CHAR(36) NOT NULL,
      company_id CHAR(36) NOT NULL,
      token_hash CHAR(64) NOT NULL,
      expires_at DATETIME(3) NOT NULL,
      last_used_at DATETIME(3) NULL,
      revoked_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      KEY ix_portal_token_customer (portal_customer_id, created_at),
      CONSTRAINT fk_portal_token_customer FOREIGN KEY (portal_customer_id) REFERENCES portal_customer (id) ON DELETE CASCADE
    ) ${TABLE}`);
    // A fresh database already has it from the first migration's seed (permissions.ts lists it); INSERT IGNORE.
    await q.query("INSERT IGNORE INTO permission (name) VALUES ('portal.manage')");
    for (const role of PORTAL_MANAGERS) await q.query("INSERT IGNORE INTO role_permission (role, permission) VALUES (?, 'portal.manage')", [role]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query("DELETE FROM permission WHERE name = 'portal.manage'");
    await q.query('DROP TABLE portal_token');
    await q.query('DROP TABLE portal_invitation');
    await q.query('DROP TABLE portal_customer');
  }
}
