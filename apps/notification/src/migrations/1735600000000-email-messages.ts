import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Appointment e-mails go through notification_message like SMS and WhatsApp (same dedupe keys, claims, retries and
 * records): the recipient column holds an e-mail address for channel `email` (up to 254 characters), and the
 * e-mail's subject and `.ics` invitation are stored with it, made once when the booking fact arrived. The opt-out
 * list keys on the same recipient, so it can hold e-mail addresses too.
 */
export class NotificationEmailMessages1735600000000 implements MigrationInterface {
  name = 'NotificationEmailMessages1735600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE notification_message
      MODIFY to_number VARCHAR(254) NOT NULL,
      ADD COLUMN subject VARCHAR(255) NULL,
      ADD COLUMN ics MEDIUMTEXT NULL`);
    await q.query('ALTER TABLE notification_opt_out MODIFY phone VARCHAR(254) NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE notification_opt_out MODIFY phone VARCHAR(32) NOT NULL');
    await q.query('ALTER TABLE notification_message DROP COLUMN ics, DROP COLUMN subject, MODIFY to_number VARCHAR(32) NOT NULL');
  }
}
