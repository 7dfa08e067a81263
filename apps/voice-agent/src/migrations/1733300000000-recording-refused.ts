import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A recording whose URL points at a host outside RECORDING_URL_HOSTS is kept on the call as `refused` (with the
 * reason in last_error) and never fetched.
 */
export class RecordingRefused1733300000000 implements MigrationInterface {
  name = 'RecordingRefused1733300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE call_recording DROP CONSTRAINT ck_call_recording_status, ADD CONSTRAINT ck_call_recording_status CHECK (status IN ('pending', 'stored', 'refused'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM call_recording WHERE status = 'refused'`);
    await q.query(
      `ALTER TABLE call_recording DROP CONSTRAINT ck_call_recording_status, ADD CONSTRAINT ck_call_recording_status CHECK (status IN ('pending', 'stored'))`,
    );
  }
}
