import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/** The company's booking set-up: zone, hours, policies, services, staff, branch hours, applied revision. */
export class Catalogue1732600000000 implements MigrationInterface {
  name = 'Catalogue1732600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE booking_company (
      company_id VARCHAR(64) NOT NULL,
      time_zone VARCHAR(64) NOT NULL,
      language VARCHAR(10) NOT NULL,
      calcom_team_slug VARCHAR(100) NULL,
      opening_hours LONGTEXT NOT NULL CHECK (JSON_VALID(opening_hours)),
      policies LONGTEXT NOT NULL CHECK (JSON_VALID(policies)),
      revision VARCHAR(200) NOT NULL,
      applied_at DATETIME(3) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (company_id)
    ) ${TABLE}`);
    await q.query(`CREATE TABLE service (
      id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      \`key\` VARCHAR(64) NOT NULL,
      name VARCHAR(200) NOT NULL,
      aliases LONGTEXT NOT NULL CHECK (JSON_VALID(aliases)),
      calcom_event_type_id INT NOT NULL,
      duration_minutes INT NOT NULL,
      price_minor BIGINT NULL,
      active TINYINT(1) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_service_company_key (company_id, \`key\`),
      CONSTRAINT fk_service_company FOREIGN KEY (company_id) REFERENCES booking_company (company_id) ON DELETE CASCADE
    ) ${TABLE}`);
    await q.query(`CREATE TABLE staff (
      id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      \`key\` VARCHAR(64) NOT NULL,
      name VARCHAR(200) NOT NULL,
      calcom_user_id INT NULL,
      active TINYINT(1) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_staff_company_key (company_id, \`key\`),
      CONSTRAINT fk_staff_company FOREIGN KEY (company_id) REFERENCES booking_company (company_id) ON DELETE CASCADE
    ) ${TABLE}`);
    await q.query(`CREATE TABLE staff_service (
      staff_id CHAR(36) NOT NULL,
      service_id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      PRIMARY KEY (staff_id, service_id),
      KEY ix_staff_service_company (company_id),
      KEY ix_staff_service_service (service_id),
      CONSTRAINT fk_staff_service_staff FOREIGN KEY (staff_id) REFERENCES staff (id) ON DELETE CASCADE,
      CONSTRAINT fk_staff_service_service FOREIGN KEY (service_id) REFERENCES service (id) ON DELETE CASCADE
    ) ${TABLE}`);
    await q.query(`CREATE TABLE branch_hours (
      company_id VARCHAR(64) NOT NULL,
      branch_id VARCHAR(64) NOT NULL,
      \`key\` VARCHAR(64) NOT NULL,
      opening_hours LONGTEXT NOT NULL CHECK (JSON_VALID(opening_hours)),
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (company_id, branch_id),
      CONSTRAINT fk_branch_hours_company FOREIGN KEY (company_id) REFERENCES booking_company (company_id) ON DELETE CASCADE
    ) ${TABLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['branch_hours', 'staff_service', 'staff', 'service', 'booking_company']) await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
