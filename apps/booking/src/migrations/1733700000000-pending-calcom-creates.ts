import { MigrationInterface, QueryRunner } from 'typeorm';

/** Cal.com creates not yet recorded (issue 13 defect 4): the orphan scan's work list. */
export class PendingCalcomCreates1733700000000 implements MigrationInterface {
  name = 'PendingCalcomCreates1733700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE calcom_pending_create (
      id CHAR(36) NOT NULL PRIMARY KEY,
      company_id VARCHAR(64) NOT NULL,
      idempotency_key VARCHAR(200) NOT NULL,
      calcom_event_type_id INT NOT NULL,
      starts_at DATETIME(3) NOT NULL,
      state VARCHAR(20) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      KEY ix_pending_create_key (company_id, idempotency_key),
      KEY ix_pending_create_age (created_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE calcom_pending_create');
  }
}
