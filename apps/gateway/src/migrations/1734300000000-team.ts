import { MigrationInterface, QueryRunner } from 'typeorm';
import { SEED_ROLE_PERMISSIONS } from '../auth/permissions';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';
const NEW_ROLES = ['company_owner', 'company_readonly', 'company_custom'] as const;

/**
 * Team management: the owner and read-only roles, custom roles per company (`company_role`, abilities as JSON; a
 * user holding one has role `company_custom` and `custom_role_id`), invitations of team members (only the SHA-256
 * of the link's secret is kept) and one-time password-reset links (the same).
 */
export class Team1734300000000 implements MigrationInterface {
  name = 'Team1734300000000';

  async up(q: QueryRunner): Promise<void> {
    for (const role of NEW_ROLES) {
      await q.query('INSERT IGNORE INTO role (name) VALUES (?)', [role]);
      for (const permission of SEED_ROLE_PERMISSIONS[role]) await q.query('INSERT IGNORE INTO role_permission (role, permission) VALUES (?, ?)', [role, permission]);
    }
    await q.query(`CREATE TABLE company_role (
      id CHAR(36) NOT NULL,
      company_id CHAR(36) NOT NULL,
      name VARCHAR(100) NOT NULL,
      abilities LONGTEXT NOT NULL CHECK (JSON_VALID(abilities)),
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_company_role_name (company_id, name),
      CONSTRAINT fk_company_role_company FOREIGN KEY (company_id) REFERENCES company (id) ON DELETE CASCADE
    ) ${TABLE}`);
    await q.query(`ALTER TABLE app_user ADD COLUMN custom_role_id CHAR(36) NULL AFTER role,
      ADD CONSTRAINT fk_app_user_custom_role FOREIGN KEY (custom_role_id) REFERENCES company_role (id) ON DELETE RESTRICT`);
    await q.query(`CREATE TABLE user_invitation (
      id CHAR(36) NOT NULL,
      company_id CHAR(36) NOT NULL,
      name VARCHAR(200) NOT NULL,
      email VARCHAR(254) NULL,
      phone VARCHAR(20) NULL,
      channel VARCHAR(8) NOT NULL,
      role VARCHAR(50) NOT NULL,
      custom_role_id CHAR(36) NULL,
      token_hash CHAR(64) NOT NULL,
      expires_at DATETIME(3) NOT NULL,
      used_at DATETIME(3) NULL,
      revoked_at DATETIME(3) NULL,
      user_id CHAR(36) NULL,
      created_by_user_id CHAR(36) NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      KEY ix_user_invitation_company (company_id, created_at),
      CONSTRAINT fk_user_invitation_company FOREIGN KEY (company_id) REFERENCES company (id) ON DELETE CASCADE,
      CONSTRAINT fk_user_invitation_custom_role FOREIGN KEY (custom_role_id) REFERENCES company_role (id) ON DELETE CASCADE
    ) ${TABLE}`);
    await q.query(`CREATE TABLE password_reset (
      id CHAR(36) NOT NULL,
      user_id CHAR(36) NOT NULL,
      token_hash CHAR(64) NOT NULL,
      expires_at DATETIME(3) NOT NULL,
      used_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      KEY ix_password_reset_user (user_id, created_at),
      CONSTRAINT fk_password_reset_user FOREIGN KEY (user_id) REFERENCES app_user (id) ON DELETE CASCADE
    ) ${TABLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE password_reset');
    await q.query('DROP TABLE user_invitation');
    await q.query('ALTER TABLE app_user DROP FOREIGN KEY fk_app_user_custom_role, DROP COLUMN custom_role_id');
    await q.query('DROP TABLE company_role');
    await q.query("UPDATE app_user SET role = 'company_admin' WHERE role IN ('company_owner', 'company_custom')");
    await q.query("UPDATE app_user SET role = 'company_staff' WHERE role = 'company_readonly'");
    for (const role of NEW_ROLES) await q.query('DELETE FROM role WHERE name = ?', [role]);
  }
}
