import { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-service policy overrides and the record of policy decisions (issue 5). */
export class Policies1732810000000 implements MigrationInterface {
  name = 'Policies1732810000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE service ADD COLUMN policies TEXT NULL`);
    await q.query(`CREATE TABLE policy_decision (
      id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      appointment_id CHAR(36) NULL,
      service_id CHAR(36) NULL,
      call_id VARCHAR(128) NULL,
      action VARCHAR(20) NOT NULL,
      allowed TINYINT(1) NOT NULL,
      rule VARCHAR(40) NULL,
      detail TEXT NOT NULL,
      decided_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      KEY ix_policy_decision_company (company_id, decided_at),
      KEY ix_policy_decision_appointment (company_id, appointment_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE policy_decision`);
    await q.query(`ALTER TABLE service DROP COLUMN policies`);
  }
}
