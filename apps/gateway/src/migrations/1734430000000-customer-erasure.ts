import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/**
 * Erasures of a caller's data (issue 16): one row per request, one step per service that holds the caller's data.
 * `open_key` is the customer id while the erasure is pending (unique: one open erasure per customer, so a repeated
 * request joins it) and NULL once every step is done.
 */
export class CustomerErasure1734430000000 implements MigrationInterface {
  name = 'CustomerErasure1734430000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE customer_erasure (
      id CHAR(36) NOT NULL,
      company_id CHAR(36) NOT NULL,
      customer_id CHAR(36) NOT NULL,
      open_key VARCHAR(80) NULL,
      status VARCHAR(16) NOT NULL,
      requested_by_user_id CHAR(36) NULL,
      requested_by_token_id CHAR(36) NULL,
      requested_at DATETIME(3) NOT NULL,
      completed_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_customer_erasure_open (open_key),
      KEY ix_customer_erasure_customer (company_id, customer_id, requested_at),
      CONSTRAINT ck_customer_erasure_status CHECK (status IN ('pending', 'completed'))
    ) ${TABLE}`);
    await q.query(`CREATE TABLE customer_erasure_step (
      erasure_id CHAR(36) NOT NULL,
      service VARCHAR(32) NOT NULL,
      counts JSON NULL,
      completed_at DATETIME(3) NULL,
      PRIMARY KEY (erasure_id, service),
      CONSTRAINT fk_customer_erasure_step FOREIGN KEY (erasure_id) REFERENCES customer_erasure (id) ON DELETE CASCADE
    ) ${TABLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE customer_erasure_step');
    await q.query('DROP TABLE customer_erasure');
  }
}
