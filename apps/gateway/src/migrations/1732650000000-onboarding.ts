import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/**
 * Onboarding import (apps/gateway/src/onboarding): the key a set-up file names a company and its branches by,
 * and per company and part (booking, billing, notification) the revision sent to its owner and the one it
 * reported applied.
 */
export class Onboarding1732650000000 implements MigrationInterface {
  name = 'Onboarding1732650000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE company ADD COLUMN external_key VARCHAR(64) NULL, ADD UNIQUE KEY uq_company_external_key (external_key)');
    await q.query('ALTER TABLE branch ADD COLUMN setup_key VARCHAR(64) NULL, ADD UNIQUE KEY uq_branch_setup_key (company_id, setup_key)');
    await q.query(`CREATE TABLE company_setup_part (
      company_id CHAR(36) NOT NULL,
      part VARCHAR(20) NOT NULL,
      sent_revision VARCHAR(64) NOT NULL,
      sent_at DATETIME(3) NOT NULL,
      applied_revision VARCHAR(64) NULL,
      applied_outcome VARCHAR(20) NULL,
      applied_at DATETIME(3) NULL,
      PRIMARY KEY (company_id, part),
      CONSTRAINT fk_company_setup_part_company FOREIGN KEY (company_id) REFERENCES company (id) ON DELETE CASCADE
    ) ${TABLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE company_setup_part');
    await q.query('ALTER TABLE branch DROP INDEX uq_branch_setup_key, DROP COLUMN setup_key');
    await q.query('ALTER TABLE company DROP INDEX uq_company_external_key, DROP COLUMN external_key');
  }
}
