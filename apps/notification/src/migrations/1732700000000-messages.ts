import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/**
 * Messages to customers (confirmations, reschedules, cancellations and reminders are all rows here: a reminder is
 * a message due later), opt-outs per company and number, per-company template overrides, translation cache.
 * `(company_id, dedupe_key)` is unique: one confirmation per appointment, one reminder per appointment, start
 * time and offset, whatever Kafka redelivers.
 */
export class NotificationMessages1732700000000 implements MigrationInterface {
  name = 'NotificationMessages1732700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE notification_message (
      id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      appointment_id VARCHAR(64) NULL,
      kind VARCHAR(24) NOT NULL,
      dedupe_key VARCHAR(160) NOT NULL,
      channel VARCHAR(16) NOT NULL,
      to_number VARCHAR(32) NOT NULL,
      sender VARCHAR(32) NOT NULL,
      language VARCHAR(8) NOT NULL,
      time_zone VARCHAR(64) NOT NULL,
      body TEXT NOT NULL,
      status VARCHAR(16) NOT NULL,
      due_at DATETIME(3) NOT NULL,
      appointment_starts_at DATETIME(3) NULL,
      attempts INT NOT NULL DEFAULT 0,
      claimed_by VARCHAR(128) NULL,
      provider_sid VARCHAR(64) NULL,
      error_code VARCHAR(16) NULL,
      error_message VARCHAR(500) NULL,
      event_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      sent_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_notification_message_dedupe (company_id, dedupe_key),
      KEY ix_notification_message_due (status, due_at),
      KEY ix_notification_message_appointment (company_id, appointment_id),
      KEY ix_notification_message_recipient (to_number, sender),
      KEY ix_notification_message_sid (provider_sid)
    ) ${TABLE}`);
    await q.query(`CREATE TABLE notification_opt_out (
      company_id VARCHAR(64) NOT NULL,
      phone VARCHAR(32) NOT NULL,
      keyword VARCHAR(32) NOT NULL,
      opted_out_at DATETIME(3) NOT NULL,
      PRIMARY KEY (company_id, phone)
    ) ${TABLE}`);
    await q.query(`CREATE TABLE notification_template (
      company_id VARCHAR(64) NOT NULL,
      kind VARCHAR(24) NOT NULL,
      language VARCHAR(8) NOT NULL,
      body TEXT NOT NULL,
      updated_at DATETIME(3) NOT NULL,
      PRIMARY KEY (company_id, kind, language)
    ) ${TABLE}`);
    await q.query(`CREATE TABLE notification_translation (
      language VARCHAR(8) NOT NULL,
      source_hash CHAR(64) NOT NULL,
      text TEXT NOT NULL,
      expires_at DATETIME(3) NOT NULL,
      PRIMARY KEY (language, source_hash)
    ) ${TABLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE notification_translation');
    await q.query('DROP TABLE notification_template');
    await q.query('DROP TABLE notification_opt_out');
    await q.query('DROP TABLE notification_message');
  }
}
