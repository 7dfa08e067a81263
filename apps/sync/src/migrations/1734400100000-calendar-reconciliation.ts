import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Calendar reconciliation (issue 18): per company a cursor (bookings changed since) and a lease (one sync instance
 * runs a company at a time), the runs and what each found.
 */
export class CalendarReconciliation1734400100000 implements MigrationInterface {
  name = 'CalendarReconciliation1734400100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE calendar_sync_cursor (
      company_id VARCHAR(64) NOT NULL PRIMARY KEY,
      cursor_at DATETIME(3) NULL,
      next_run_at DATETIME(3) NOT NULL,
      lease_owner VARCHAR(100) NULL,
      lease_until DATETIME(3) NULL,
      KEY ix_cursor_due (next_run_at)
    ) ENGINE=InnoDB`);
    await q.query(`CREATE TABLE calendar_reconciliation_run (
      id CHAR(36) NOT NULL PRIMARY KEY,
      company_id VARCHAR(64) NOT NULL,
      trigger_kind VARCHAR(20) NOT NULL,
      status VARCHAR(20) NOT NULL,
      since_at DATETIME(3) NULL,
      started_at DATETIME(3) NOT NULL,
      finished_at DATETIME(3) NULL,
      scanned INT NOT NULL DEFAULT 0,
      requests INT NOT NULL DEFAULT 0,
      findings INT NOT NULL DEFAULT 0,
      error VARCHAR(500) NULL,
      KEY ix_run_company (company_id, started_at)
    ) ENGINE=InnoDB`);
    await q.query(`CREATE TABLE calendar_reconciliation_finding (
      id CHAR(36) NOT NULL PRIMARY KEY,
      run_id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      kind VARCHAR(30) NOT NULL,
      calcom_booking_uid VARCHAR(100) NOT NULL,
      appointment_id VARCHAR(64) NULL,
      detail VARCHAR(500) NOT NULL,
      created_at DATETIME(3) NOT NULL,
      KEY ix_finding_run (run_id, created_at)
    ) ENGINE=InnoDB`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE calendar_reconciliation_finding`);
    await q.query(`DROP TABLE calendar_reconciliation_run`);
    await q.query(`DROP TABLE calendar_sync_cursor`);
  }
}
