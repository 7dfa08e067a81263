import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `appointment.version`: 1 when booked, one more with every reschedule or cancellation, carried in booking.* so that
 * consumers of the three separate topics can tell a stale or reordered fact from the latest (issue 13). Existing rows
 * start at 1 plus the changes they already had.
 */
export class AppointmentVersion1733513000000 implements MigrationInterface {
  name = 'AppointmentVersion1733513000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE appointment ADD COLUMN version INT NOT NULL DEFAULT 1`);
    await q.query(`UPDATE appointment a
      SET a.version = 1 + (SELECT COUNT(*) FROM appointment_change c WHERE c.company_id = a.company_id AND c.appointment_id = a.id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE appointment DROP COLUMN version`);
  }
}
