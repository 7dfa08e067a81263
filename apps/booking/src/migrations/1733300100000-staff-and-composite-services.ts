import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/**
 * Composite services (issue 5): a service made of consecutive steps, each another service of the company,
 * possibly by different staff. One appointment row per booking (what the caller sees), its steps in
 * `appointment_step` with their own Cal.com booking each. Staff are looked up by time for "bei Anna".
 */
export class StaffAndCompositeServices1733300100000 implements MigrationInterface {
  name = 'StaffAndCompositeServices1733300100000';

  async up(q: QueryRunner): Promise<void> {
    // [{ serviceId, staffIds }] in order; null for an ordinary service.
    await q.query(`ALTER TABLE service ADD COLUMN steps TEXT NULL`);
    // A composite appointment's own row spans all steps; the calendar time is held by its steps.
    await q.query(`ALTER TABLE appointment ADD COLUMN composite TINYINT(1) NOT NULL DEFAULT 0, ADD KEY ix_appointment_staff (company_id, staff_id, status, starts_at)`);
    await q.query(`CREATE TABLE appointment_step (
      id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      appointment_id CHAR(36) NOT NULL,
      position INT NOT NULL,
      service_id CHAR(36) NOT NULL,
      staff_id CHAR(36) NULL,
      calcom_event_type_id INT NOT NULL,
      calcom_booking_uid VARCHAR(100) NULL,
      starts_at DATETIME(3) NOT NULL,
      ends_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_appointment_step_position (appointment_id, position),
      KEY ix_appointment_step_slot (company_id, calcom_event_type_id, starts_at),
      KEY ix_appointment_step_staff (company_id, staff_id, starts_at),
      CONSTRAINT fk_appointment_step_appointment FOREIGN KEY (appointment_id) REFERENCES appointment (id) ON DELETE CASCADE
    ) ${TABLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE appointment_step`);
    await q.query(`ALTER TABLE appointment DROP KEY ix_appointment_staff, DROP COLUMN composite`);
    await q.query(`ALTER TABLE service DROP COLUMN steps`);
  }
}
