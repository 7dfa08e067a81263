import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/**
 * Per-call appointment drafts (what the caller has said so far) and callback wishes waiting to be handed to
 * booking (kept here so a wish survives booking being down).
 */
export class CallDrafts1733100000000 implements MigrationInterface {
  name = 'CallDrafts1733100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE call_draft (
      company_id VARCHAR(64) NOT NULL,
      call_id VARCHAR(128) NOT NULL,
      customer_name VARCHAR(200) NULL,
      phone VARCHAR(16) NULL,
      email VARCHAR(254) NULL,
      service_id VARCHAR(64) NULL,
      staff_id VARCHAR(64) NULL,
      wish_date CHAR(10) NULL,
      wish_time CHAR(5) NULL,
      start_at DATETIME(3) NULL,
      notes VARCHAR(1000) NULL,
      status VARCHAR(16) NOT NULL DEFAULT 'collecting',
      appointment_id VARCHAR(64) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (company_id, call_id),
      KEY ix_call_draft_updated (updated_at),
      CONSTRAINT ck_call_draft_status CHECK (status IN ('collecting', 'booked', 'callback'))
    ) ${TABLE}`);
    await q.query(`CREATE TABLE callback_wish (
      id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      call_id VARCHAR(128) NULL,
      customer_name VARCHAR(200) NULL,
      phone VARCHAR(16) NULL,
      wish VARCHAR(1000) NOT NULL,
      reason VARCHAR(32) NOT NULL,
      attempts INT NOT NULL DEFAULT 0,
      claimed_until DATETIME(3) NULL,
      delivered_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      KEY ix_callback_wish_pending (delivered_at, created_at),
      KEY ix_callback_wish_company (company_id)
    ) ${TABLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE callback_wish');
    await q.query('DROP TABLE call_draft');
  }
}
