import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/**
 * Whether a company's inbound calls are taken (apps/gateway/src/call-acceptance), fed by billing's
 * `balance.exhausted` / `balance.restored`. No row: calls are taken. No foreign key: billing's facts may arrive
 * before or without the company's gateway record.
 */
export class CallAcceptance1734110000000 implements MigrationInterface {
  name = 'CallAcceptance1734110000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE call_acceptance (
      company_id CHAR(36) NOT NULL,
      refusing TINYINT(1) NOT NULL,
      reason VARCHAR(50) NULL,
      balance_minor BIGINT NULL,
      currency CHAR(3) NULL,
      event_id CHAR(36) NOT NULL,
      event_time DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (company_id)
    ) ${TABLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE call_acceptance');
  }
}
