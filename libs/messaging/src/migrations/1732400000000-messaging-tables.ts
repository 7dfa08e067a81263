import { MigrationInterface, QueryRunner } from 'typeorm';

/** Outbox and processed-message tables; every service includes this migration first. */
export class MessagingTables1732400000000 implements MigrationInterface {
  name = 'MessagingTables1732400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE outbox_message (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
      message_id CHAR(36) NOT NULL,
      topic VARCHAR(200) NOT NULL,
      message_key VARCHAR(200) NULL,
      payload LONGTEXT NOT NULL,
      headers TEXT NOT NULL,
      created_at DATETIME(3) NOT NULL,
      published_at DATETIME(3) NULL,
      PRIMARY KEY (id),
      UNIQUE KEY uq_outbox_message_id (message_id),
      KEY ix_outbox_unpublished (published_at, id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await q.query(`CREATE TABLE processed_message (
      consumer VARCHAR(150) NOT NULL,
      message_id CHAR(36) NOT NULL,
      topic VARCHAR(200) NOT NULL,
      processed_at DATETIME(3) NOT NULL,
      PRIMARY KEY (consumer, message_id),
      KEY ix_processed_at (processed_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE processed_message');
    await q.query('DROP TABLE outbox_message');
  }
}
