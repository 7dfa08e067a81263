import { EntitySchema } from 'typeorm';

/** A message a consumer has applied; inserted in the same transaction as the effect. */
export interface ProcessedMessage {
  consumer: string;
  messageId: string;
  topic: string;
  processedAt: Date;
}

export const ProcessedMessageEntity = new EntitySchema<ProcessedMessage>({
  name: 'ProcessedMessage',
  tableName: 'processed_message',
  columns: {
    consumer: { type: 'varchar', length: 150, primary: true },
    messageId: { name: 'message_id', type: 'char', length: 36, primary: true },
    topic: { type: 'varchar', length: 200 },
    processedAt: { name: 'processed_at', type: 'datetime', precision: 3 },
  },
});
