import { MigrationInterface, QueryRunner } from 'typeorm';

/** Each company's notification settings, as imported by onboarding (`company.setup.notification`). */
export class NotificationSettings1732650000000 implements MigrationInterface {
  name = 'NotificationSettings1732650000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE company_notification_settings (
      company_id CHAR(36) NOT NULL,
      company_name VARCHAR(200) NOT NULL,
      time_zone VARCHAR(64) NOT NULL,
      language VARCHAR(10) NOT NULL,
      channels TEXT NOT NULL CHECK (JSON_VALID(channels)),
      confirmation TINYINT(1) NOT NULL,
      reminders_minutes_before TEXT NOT NULL CHECK (JSON_VALID(reminders_minutes_before)),
      sender_id VARCHAR(32) NULL,
      quiet_hours_start CHAR(5) NULL,
      quiet_hours_end CHAR(5) NULL,
      revision VARCHAR(64) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (company_id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE company_notification_settings');
  }
}
