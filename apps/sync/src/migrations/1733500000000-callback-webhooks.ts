import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/**
 * Outgoing callback webhooks. A subscription holds its signing secret encrypted (AES-256-GCM under SYNC_SECRETS_KEY:
 * sync must sign with it, so it cannot be a hash). One delivery per (subscription, event): the unique key makes a
 * redelivered Kafka event add nothing. Deliveries wait in the table (`due_at`) between attempts, so retries survive
 * restarts; `claimed_by` with a lease lets several instances send side by side.
 */
export class CallbackWebhooks1733500000000 implements MigrationInterface {
  name = 'CallbackWebhooks1733500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE callback_subscription (
      id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      url VARCHAR(2000) NOT NULL,
      events TEXT NOT NULL CHECK (JSON_VALID(events)),
      description VARCHAR(200) NULL,
      secret_ciphertext VARCHAR(500) NOT NULL,
      status VARCHAR(16) NOT NULL,
      disabled_reason VARCHAR(300) NULL,
      created_at DATETIME(3) NOT NULL,
      deleted_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      KEY ix_callback_subscription_company (company_id, status)
    ) ${TABLE}`);
    await q.query(`CREATE TABLE callback_delivery (
      id CHAR(36) NOT NULL,
      subscription_id CHAR(36) NOT NULL,
      company_id VARCHAR(64) NOT NULL,
      event_id VARCHAR(64) NOT NULL,
      event_type VARCHAR(64) NOT NULL,
      payload MEDIUMTEXT NOT NULL,
      status VARCHAR(16) NOT NULL,
      attempts INT NOT NULL DEFAULT 0,
      due_at DATETIME(3) NOT NULL,
      claimed_by VARCHAR(128) NULL,
      last_status_code INT NULL,
      last_error VARCHAR(500) NULL,
      last_attempt_at DATETIME(3) NULL,
      delivered_at DATETIME(3) NULL,
      created_at DATETIME(3) NOT NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_callback_delivery_event (subscription_id, event_id),
      KEY ix_callback_delivery_due (status, due_at),
      KEY ix_callback_delivery_list (subscription_id, created_at)
    ) ${TABLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE callback_delivery');
    await q.query('DROP TABLE callback_subscription');
  }
}
