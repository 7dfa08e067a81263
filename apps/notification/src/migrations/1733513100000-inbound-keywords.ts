import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

/**
 * Every opt-out/opt-in keyword applied, by Twilio's `MessageSid` (issue 13): each is applied once, ever, so a
 * redelivered or replayed signed START cannot re-subscribe a number that has since sent STOP. Kept (small: keyword
 * messages only), unlike the inbox, whose rows may be pruned.
 */
export class NotificationInboundKeywords1733513100000 implements MigrationInterface {
  name = 'NotificationInboundKeywords1733513100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE notification_inbound_keyword (
      message_sid VARCHAR(64) NOT NULL,
      phone VARCHAR(32) NOT NULL,
      intent VARCHAR(8) NOT NULL,
      keyword VARCHAR(32) NOT NULL,
      received_at DATETIME(3) NOT NULL,
      PRIMARY KEY (message_sid),
      KEY ix_notification_inbound_keyword_phone (phone, received_at)
    ) ${TABLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE notification_inbound_keyword');
  }
}
