import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `callback_request.wish_id` (issue 13): the caller's wish a request records, unique per company, so a wish sent again
 * (voice-agent retrying after a lost reply, the gateway's fallback and a late answer recording the same wish) is one
 * callback request and one `booking.callback-requested`. Null for requests from before.
 */
export class CallbackWishId1733513100000 implements MigrationInterface {
  name = 'CallbackWishId1733513100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE callback_request ADD COLUMN wish_id VARCHAR(100) NULL, ADD UNIQUE KEY uq_callback_request_wish (company_id, wish_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE callback_request DROP KEY uq_callback_request_wish, DROP COLUMN wish_id`);
  }
}
