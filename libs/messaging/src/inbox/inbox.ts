import { DataSource, EntityManager } from 'typeorm';
import type { Envelope } from '@receptionist/contracts';
import { ProcessedMessageEntity } from './processed-message.entity';
import { isDuplicateKeyError } from '../errors';

export type InboxOutcome<R> = { duplicate: false; result: R } | { duplicate: true };

/**
 * Idempotent consumption: the processed-message row and the handler's effect commit in one transaction.
 * A redelivered message hits the primary key (errno 1062) and its effect is rolled back, not applied twice.
 */
export class Inbox {
  constructor(private readonly dataSource: DataSource) {}

  async handleOnce<R>(
    consumer: string,
    envelope: Pick<Envelope, 'id' | 'type'>,
    effect: (manager: EntityManager) => Promise<R>,
  ): Promise<InboxOutcome<R>> {
    try {
      const result = await this.dataSource.transaction(async (manager) => {
        await manager.insert(ProcessedMessageEntity, {
          consumer,
          messageId: envelope.id,
          topic: envelope.type,
          processedAt: new Date(),
        });
        return effect(manager);
      });
      return { duplicate: false, result };
    } catch (error) {
      if (isDuplicateKeyError(error) && (await this.seen(consumer, envelope.id))) return { duplicate: true };
      throw error;
    }
  }

  async seen(consumer: string, messageId: string): Promise<boolean> {
    return (await this.dataSource.getRepository(ProcessedMessageEntity).countBy({ consumer, messageId })) > 0;
  }

  /** Deletes records older than the longest redelivery window we expect (default 30 days). */
  async prune(olderThan: Date): Promise<number> {
    const r = await this.dataSource
      .createQueryBuilder()
      .delete()
      .from(ProcessedMessageEntity)
      .where('processed_at < :olderThan', { olderThan })
      .execute();
    return r.affected ?? 0;
  }
}
