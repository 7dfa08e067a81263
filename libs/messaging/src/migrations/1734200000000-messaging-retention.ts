import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbox rows Kafka refuses for good (unknown topic, over the size limit) are parked with their reason instead of
 * stalling every batch; the relay's pending index leaves them out, and the retention pruner finds old published rows
 * by their publication time. Every service includes this migration after MessagingTables.
 */
export class MessagingRetention1734200000000 implements MigrationInterface {
  name = 'MessagingRetention1734200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox_message
      ADD COLUMN parked_at DATETIME(3) NULL,
      ADD COLUMN park_reason VARCHAR(500) NULL,
      ADD KEY ix_outbox_pending (published_at, parked_at, id),
      ADD KEY ix_outbox_parked (parked_at),
      DROP KEY ix_outbox_unpublished`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox_message
      ADD KEY ix_outbox_unpublished (published_at, id),
      DROP KEY ix_outbox_parked,
      DROP KEY ix_outbox_pending,
      DROP COLUMN park_reason,
      DROP COLUMN parked_at`);
  }
}
