import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rolling secret rotation: after a rotation the previous secret keeps signing beside the new one until it expires
 * (`webhook-signature` then carries two `v1,` signatures), so receivers can switch over without losing a delivery.
 */
export class CallbackSecretRotation1733600000000 implements MigrationInterface {
  name = 'CallbackSecretRotation1733600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE callback_subscription
      ADD COLUMN previous_secret_ciphertext VARCHAR(500) NULL,
      ADD COLUMN previous_secret_expires_at DATETIME(3) NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE callback_subscription DROP COLUMN previous_secret_ciphertext, DROP COLUMN previous_secret_expires_at');
  }
}
