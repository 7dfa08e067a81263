import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/**
 * Operator alerts (low balance, repeated delivery failures, dead-lettered messages): each alert once per
 * `(company_id, dedupe_key)` (company '' for alerts about no company), one delivery row per channel and recipient,
 * sent by a poller like customer messages; the running streak of failed messages per company; the company's alert
 * contacts from onboarding.
 */
export class NotificationAlerts1732800000000 implements MigrationInterface {
  name = 'NotificationAlerts1732800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE company_notification_settings ADD COLUMN alert_contacts TEXT NULL CHECK (alert_contacts IS NULL OR JSON_VALID(alert_contacts))`);
    await q.query(`CREATE TABLE notification_alert (
      id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      kind VARCHAR(32) NOT NULL,
      dedupe_key VARCHAR(200) NOT NULL,
      subject VARCHAR(200) NOT NULL,
      body TEXT NOT NULL,
      details TEXT NOT NULL CHECK (JSON_VALID(details)),
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_notification_alert_dedupe (company_id, dedupe_key),
      KEY ix_notification_alert_created (company_id, created_at)
    ) ${TABLE}`);
    await q.query(`CREATE TABLE notification_alert_delivery (
      id CHAR(36) NOT NULL,
      alert_id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      channel VARCHAR(16) NOT NULL,
      recipient VARCHAR(320) NOT NULL,
      status VARCHAR(16) NOT NULL,
      attempts INT NOT NULL DEFAULT 0,
      due_at DATETIME(3) NOT NULL,
      claimed_by VARCHAR(128) NULL,
      error VARCHAR(500) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      sent_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_notification_alert_delivery (alert_id, channel, recipient),
      KEY ix_notification_alert_delivery_due (status, due_at)
    ) ${TABLE}`);
    await q.query(`CREATE TABLE notification_failure_streak (
      company_id VARCHAR(64) NOT NULL,
      failures INT NOT NULL,
      started_at DATETIME(3) NOT NULL,
      last_failed_at DATETIME(3) NOT NULL,
      alerted TINYINT(1) NOT NULL DEFAULT 0,
      PRIMARY KEY (company_id)
    ) ${TABLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE notification_failure_streak');
    await q.query('DROP TABLE notification_alert_delivery');
    await q.query('DROP TABLE notification_alert');
    await q.query('ALTER TABLE company_notification_settings DROP COLUMN alert_contacts');
  }
}
