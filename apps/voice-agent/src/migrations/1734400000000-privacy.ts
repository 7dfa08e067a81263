import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A caller's data (issue 16): a recording erased on request or expired by the company's retention keeps its row
 * (`erased` / `expired`, no storage key) so a redelivered webhook does not fetch it again; `company_retention`
 * holds each company's retention days for recordings and transcripts (none: kept).
 */
export class Privacy1734400000000 implements MigrationInterface {
  name = 'Privacy1734400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE call_recording DROP CONSTRAINT ck_call_recording_status, ADD CONSTRAINT ck_call_recording_status CHECK (status IN ('pending', 'stored', 'refused', 'erased', 'expired'))`,
    );
    await q.query(`ALTER TABLE call_record ADD COLUMN transcript_removed_at DATETIME(3) NULL`);
    await q.query(`CREATE TABLE company_retention (
      company_id VARCHAR(64) NOT NULL,
      recordings_days INT NULL,
      transcripts_days INT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (company_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE company_retention');
    await q.query('ALTER TABLE call_record DROP COLUMN transcript_removed_at');
    await q.query(`DELETE FROM call_recording WHERE status IN ('erased', 'expired')`);
    await q.query(
      `ALTER TABLE call_recording DROP CONSTRAINT ck_call_recording_status, ADD CONSTRAINT ck_call_recording_status CHECK (status IN ('pending', 'stored', 'refused'))`,
    );
  }
}
