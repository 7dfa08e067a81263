import { MigrationInterface, QueryRunner } from 'typeorm';
import { PERMISSIONS, ROLES, SEED_ROLE_PERMISSIONS } from '../auth/permissions';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/** Companies and their routing, users, roles and permissions, personal access tokens, audit log. */
export class TenantsIdentity1732500000000 implements MigrationInterface {
  name = 'TenantsIdentity1732500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE company (
      id CHAR(36) NOT NULL,
      name VARCHAR(200) NOT NULL,
      time_zone VARCHAR(64) NOT NULL,
      language VARCHAR(10) NOT NULL,
      currency CHAR(3) NOT NULL,
      settings LONGTEXT NOT NULL CHECK (JSON_VALID(settings)),
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      CONSTRAINT ck_company_currency CHECK (currency IN ('EUR', 'USD', 'GBP'))
    ) ${TABLE}`);
    await q.query(`CREATE TABLE branch (
      id CHAR(36) NOT NULL,
      company_id CHAR(36) NOT NULL,
      name VARCHAR(200) NOT NULL,
      time_zone VARCHAR(64) NULL,
      address VARCHAR(500) NULL,
      active TINYINT(1) NOT NULL DEFAULT 1,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      KEY ix_branch_company (company_id),
      CONSTRAINT fk_branch_company FOREIGN KEY (company_id) REFERENCES company (id) ON DELETE CASCADE
    ) ${TABLE}`);
    await q.query(`CREATE TABLE phone_number (
      id CHAR(36) NOT NULL,
      company_id CHAR(36) NOT NULL,
      branch_id CHAR(36) NULL,
      number VARCHAR(16) NOT NULL,
      label VARCHAR(200) NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_phone_number (number),
      KEY ix_phone_number_company (company_id),
      CONSTRAINT fk_phone_number_company FOREIGN KEY (company_id) REFERENCES company (id) ON DELETE CASCADE,
      CONSTRAINT fk_phone_number_branch FOREIGN KEY (branch_id) REFERENCES branch (id) ON DELETE SET NULL
    ) ${TABLE}`);
    await q.query(`CREATE TABLE retell_agent (
      id CHAR(36) NOT NULL,
      company_id CHAR(36) NOT NULL,
      branch_id CHAR(36) NULL,
      agent_id VARCHAR(100) NOT NULL,
      label VARCHAR(200) NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_retell_agent (agent_id),
      KEY ix_retell_agent_company (company_id),
      CONSTRAINT fk_retell_agent_company FOREIGN KEY (company_id) REFERENCES company (id) ON DELETE CASCADE,
      CONSTRAINT fk_retell_agent_branch FOREIGN KEY (branch_id) REFERENCES branch (id) ON DELETE SET NULL
    ) ${TABLE}`);
    await q.query(`CREATE TABLE role (name VARCHAR(50) NOT NULL, PRIMARY KEY (name)) ${TABLE}`);
    await q.query(`CREATE TABLE permission (name VARCHAR(100) NOT NULL, PRIMARY KEY (name)) ${TABLE}`);
    await q.query(`CREATE TABLE role_permission (
      role VARCHAR(50) NOT NULL,
      permission VARCHAR(100) NOT NULL,
      PRIMARY KEY (role, permission),
      CONSTRAINT fk_role_permission_role FOREIGN KEY (role) REFERENCES role (name) ON DELETE CASCADE,
      CONSTRAINT fk_role_permission_permission FOREIGN KEY (permission) REFERENCES permission (name) ON DELETE CASCADE
    ) ${TABLE}`);
    await q.query(`CREATE TABLE app_user (
      id CHAR(36) NOT NULL,
      company_id CHAR(36) NULL,
      email VARCHAR(254) NOT NULL,
      name VARCHAR(200) NOT NULL,
      password_hash VARCHAR(255) NOT NULL,
      role VARCHAR(50) NOT NULL,
      disabled_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_app_user_email (email),
      KEY ix_app_user_company (company_id),
      KEY ix_app_user_role (role),
      CONSTRAINT fk_app_user_company FOREIGN KEY (company_id) REFERENCES company (id) ON DELETE CASCADE,
      CONSTRAINT fk_app_user_role FOREIGN KEY (role) REFERENCES role (name),
      CONSTRAINT ck_app_user_company CHECK ((role = 'platform_admin') = (company_id IS NULL))
    ) ${TABLE}`);
    await q.query(`CREATE TABLE personal_access_token (
      id CHAR(36) NOT NULL,
      user_id CHAR(36) NOT NULL,
      name VARCHAR(100) NOT NULL,
      token_hash CHAR(64) NOT NULL,
      abilities TEXT NOT NULL CHECK (JSON_VALID(abilities)),
      expires_at DATETIME(3) NOT NULL,
      last_used_at DATETIME(3) NULL,
      revoked_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      KEY ix_pat_user (user_id, created_at),
      CONSTRAINT fk_pat_user FOREIGN KEY (user_id) REFERENCES app_user (id) ON DELETE CASCADE
    ) ${TABLE}`);
    await q.query(`CREATE TABLE audit_log (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      occurred_at DATETIME(3) NOT NULL,
      company_id CHAR(36) NULL,
      actor_user_id CHAR(36) NULL,
      actor_token_id CHAR(36) NULL,
      action VARCHAR(100) NOT NULL,
      outcome VARCHAR(20) NOT NULL,
      target_type VARCHAR(50) NULL,
      target_id VARCHAR(64) NULL,
      request_id VARCHAR(100) NULL,
      ip VARCHAR(64) NULL,
      changes TEXT NULL,
      PRIMARY KEY (id),
      KEY ix_audit_company (company_id, id),
      KEY ix_audit_target (target_type, target_id)
    ) ${TABLE}`);

    for (const role of ROLES) await q.query('INSERT INTO role (name) VALUES (?)', [role]);
    for (const permission of PERMISSIONS) await q.query('INSERT INTO permission (name) VALUES (?)', [permission]);
    for (const [role, permissions] of Object.entries(SEED_ROLE_PERMISSIONS)) {
      for (const permission of permissions) await q.query('INSERT INTO role_permission (role, permission) VALUES (?, ?)', [role, permission]);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['audit_log', 'personal_access_token', 'app_user', 'role_permission', 'permission', 'role', 'retell_agent', 'phone_number', 'branch', 'company']) {
      await q.query(`DROP TABLE ${t}`);
    }
  }
}
