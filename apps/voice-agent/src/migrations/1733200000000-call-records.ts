import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/**
 * Call records. `call_webhook` keeps the last call object Retell sent per event type (the source of truth);
 * `call_record` is the projection folded from them, so it converges whatever order the events arrive in.
 * `call_fact` marks the facts published for a call (one row per call and fact: each goes out once).
 */
export class CallRecords1733200000000 implements MigrationInterface {
  name = 'CallRecords1733200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE call_record (
      call_id VARCHAR(128) NOT NULL,
      company_id VARCHAR(64) NULL,
      agent_id VARCHAR(128) NULL,
      from_number VARCHAR(16) NULL,
      to_number VARCHAR(16) NULL,
      direction VARCHAR(8) NULL,
      status VARCHAR(16) NOT NULL,
      outcome VARCHAR(16) NOT NULL,
      started_at DATETIME(3) NULL,
      ended_at DATETIME(3) NULL,
      sort_at DATETIME(3) NOT NULL,
      duration_ms INT NULL,
      disconnection_reason VARCHAR(64) NULL,
      transcript MEDIUMTEXT NULL,
      transcript_turns MEDIUMTEXT NULL,
      summary TEXT NULL,
      sentiment VARCHAR(16) NULL,
      successful TINYINT(1) NULL,
      in_voicemail TINYINT(1) NULL,
      custom_analysis TEXT NULL,
      retell_cost_minor INT NULL,
      retell_cost TEXT NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (call_id),
      KEY ix_call_record_company_sort (company_id, sort_at, call_id),
      KEY ix_call_record_company_from (company_id, from_number),
      KEY ix_call_record_company_to (company_id, to_number),
      CONSTRAINT ck_call_record_status CHECK (status IN ('registered', 'ongoing', 'ended', 'analyzed'))
    ) ${TABLE}`);
    await q.query(`CREATE TABLE call_webhook (
      call_id VARCHAR(128) NOT NULL,
      event VARCHAR(32) NOT NULL,
      call_object MEDIUMTEXT NOT NULL,
      turns INT NOT NULL DEFAULT 0,
      received_at DATETIME(3) NOT NULL,
      PRIMARY KEY (call_id, event)
    ) ${TABLE}`);
    await q.query(`CREATE TABLE call_fact (
      call_id VARCHAR(128) NOT NULL,
      fact VARCHAR(32) NOT NULL,
      message_id CHAR(36) NOT NULL,
      published_at DATETIME(3) NOT NULL,
      PRIMARY KEY (call_id, fact)
    ) ${TABLE}`);
    await q.query(`CREATE TABLE call_function (
      company_id VARCHAR(64) NOT NULL,
      call_id VARCHAR(128) NOT NULL,
      request_key VARCHAR(64) NOT NULL,
      name VARCHAR(64) NOT NULL,
      success TINYINT(1) NOT NULL,
      code VARCHAR(64) NULL,
      duration_ms INT NOT NULL,
      called_at DATETIME(3) NOT NULL,
      PRIMARY KEY (call_id, request_key),
      KEY ix_call_function_company (company_id, call_id)
    ) ${TABLE}`);
    await q.query(`CREATE TABLE call_booking (
      company_id VARCHAR(64) NOT NULL,
      call_id VARCHAR(128) NOT NULL,
      appointment_id VARCHAR(64) NOT NULL,
      recorded_at DATETIME(3) NOT NULL,
      PRIMARY KEY (call_id, appointment_id),
      KEY ix_call_booking_company (company_id, call_id)
    ) ${TABLE}`);
    await q.query(`CREATE TABLE call_recording (
      call_id VARCHAR(128) NOT NULL,
      company_id VARCHAR(64) NULL,
      source_url VARCHAR(2048) NOT NULL,
      status VARCHAR(16) NOT NULL,
      attempts INT NOT NULL DEFAULT 0,
      next_attempt_at DATETIME(3) NOT NULL,
      claimed_until DATETIME(3) NULL,
      last_error VARCHAR(500) NULL,
      storage_driver VARCHAR(8) NULL,
      storage_key VARCHAR(300) NULL,
      content_type VARCHAR(100) NULL,
      size_bytes BIGINT NULL,
      sha256 CHAR(64) NULL,
      stored_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (call_id),
      KEY ix_call_recording_due (status, next_attempt_at),
      CONSTRAINT ck_call_recording_status CHECK (status IN ('pending', 'stored'))
    ) ${TABLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['call_recording', 'call_booking', 'call_function', 'call_fact', 'call_webhook', 'call_record']) await q.query(`DROP TABLE ${t}`);
  }
}
