import { EntitySchema } from 'typeorm';

/** One fact waiting to be published; written in the same transaction as the state change it describes. */
export interface OutboxMessage {
  id: string; // bigint auto-increment; publication order
  messageId: string;
  topic: string;
  messageKey: string | null;
  payload: string; // the envelope, JSON
  headers: string; // trace context of the writing transaction, JSON
  createdAt: Date;
  publishedAt: Date | null;
  /** Set when Kafka refused the row for good (see OutboxRelay): it is left out of publishing, with its reason. */
  parkedAt?: Date | null;
  parkReason?: string | null;
}

export const OutboxMessageEntity = new EntitySchema<OutboxMessage>({
  name: 'OutboxMessage',
  tableName: 'outbox_message',
  columns: {
    id: { type: 'bigint', primary: true, generated: 'increment' },
    messageId: { name: 'message_id', type: 'char', length: 36 },
    topic: { type: 'varchar', length: 200 },
    messageKey: { name: 'message_key', type: 'varchar', length: 200, nullable: true },
    payload: { type: 'longtext' },
    headers: { type: 'text' },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
    publishedAt: { name: 'published_at', type: 'datetime', precision: 3, nullable: true },
    parkedAt: { name: 'parked_at', type: 'datetime', precision: 3, nullable: true },
    parkReason: { name: 'park_reason', type: 'varchar', length: 500, nullable: true },
  },
});
