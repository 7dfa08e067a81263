import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/**
 * The latest booking fact applied per appointment (issue 13): booking.created, .rescheduled and .cancelled are separate
 * topics consumed concurrently, so a fact can arrive after a newer one. `version` is booking's appointment version
 * (null from producers that do not send it; then `event_at` orders), `cancelled` is the tombstone after which nothing
 * is scheduled again. Appointments already cancelled are carried over from their cancellation notices.
 */
export class NotificationAppointmentState1733513000000 implements MigrationInterface {
  name = 'NotificationAppointmentState1733513000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE notification_appointment_state (
      company_id VARCHAR(64) NOT NULL,
      appointment_id VARCHAR(64) NOT NULL,
      version INT NULL,
      event_at DATETIME(3) NULL,
      cancelled TINYINT(1) NOT NULL DEFAULT 0,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (company_id, appointment_id)
    ) ${TABLE}`);
    await q.query(`INSERT IGNORE INTO notification_appointment_state (company_id, appointment_id, version, event_at, cancelled, updated_at)
      SELECT company_id, appointment_id, NULL, MAX(COALESCE(event_at, created_at)), 1, NOW(3)
        FROM notification_message WHERE kind = 'cancellation' AND appointment_id IS NOT NULL
       GROUP BY company_id, appointment_id`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE notification_appointment_state');
  }
}
