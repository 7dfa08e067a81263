import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/**
 * The company's whole set-up as last imported or edited (the onboarding file's format, validated): what the
 * set-up API reads and changes, and what the parts sent to booking, billing and notification are built from.
 */
export class SetupDocument1734420000000 implements MigrationInterface {
  name = 'SetupDocument1734420000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE company_setup_document (
      company_id CHAR(36) NOT NULL,
      document LONGTEXT NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (company_id),
      CONSTRAINT fk_setup_document_company FOREIGN KEY (company_id) REFERENCES company (id) ON DELETE CASCADE
    ) ${TABLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE company_setup_document');
  }
}
