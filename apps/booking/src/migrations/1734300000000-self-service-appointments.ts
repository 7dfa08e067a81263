import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The self-service API (issue 16): where an appointment was made (`source`), the outcomes the business records
 * after the start (`completed`, `no_show`) as statuses and as changes in the history, and an index for listing a
 * company's appointments by time (a week of a busy company is read by range, not by scanning all of it).
 */
export class SelfServiceAppointments1734300000000 implements MigrationInterface {
  name = 'SelfServiceAppointments1734300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE appointment
      ADD COLUMN source VARCHAR(20) NOT NULL DEFAULT 'phone',
      ADD KEY ix_appointment_company_start (company_id, starts_at, id)`);
    // Until now only the voice agent booked, apart from bookings imported from Cal.com's own page.
    await q.query(`UPDATE appointment SET source = 'calcom' WHERE idempotency_key LIKE 'calcom:%'`);
    await q.query(`ALTER TABLE appointment ADD CONSTRAINT ck_appointment_source CHECK (source IN ('phone', 'portal', 'staff', 'calcom'))`);
    await q.query(`ALTER TABLE appointment DROP CONSTRAINT ck_appointment_status`);
    await q.query(`ALTER TABLE appointment ADD CONSTRAINT ck_appointment_status CHECK (status IN ('booked', 'cancelled', 'no_show', 'completed'))`);
    await q.query(`ALTER TABLE appointment_change DROP CONSTRAINT ck_appointment_change_kind`);
    await q.query(`ALTER TABLE appointment_change ADD CONSTRAINT ck_appointment_change_kind CHECK (kind IN ('reschedule', 'cancel', 'completed', 'no_show'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE appointment_change DROP CONSTRAINT ck_appointment_change_kind`);
    await q.query(`ALTER TABLE appointment_change ADD CONSTRAINT ck_appointment_change_kind CHECK (kind IN ('reschedule', 'cancel'))`);
    await q.query(`ALTER TABLE appointment DROP CONSTRAINT ck_appointment_status`);
    await q.query(`ALTER TABLE appointment ADD CONSTRAINT ck_appointment_status CHECK (status IN ('booked', 'cancelled'))`);
    await q.query(`ALTER TABLE appointment DROP CONSTRAINT ck_appointment_source, DROP KEY ix_appointment_company_start, DROP COLUMN source`);
  }
}
