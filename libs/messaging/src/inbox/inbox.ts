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

  /**
   * The batch form of handleOnce: one transaction for many messages. Messages already processed (or repeated within
   * the batch) are left out, the processed-message rows of the rest are inserted in one statement, and `effect`
   * gets the new ones in their order. If a concurrent consumer inserted one of them meanwhile, the insert fails with
   * a duplicate key and nothing of the batch is applied (the caller handles the messages one by one then).
   * READ COMMITTED by default, so reads made after taking row locks see what the lock holders committed.
   */
  async handleBatchOnce<E extends Pick<Envelope, 'id' | 'type'>, R>(
    consumer: string,
    envelopes: E[],
    effect: (manager: EntityManager, fresh: E[]) => Promise<R>,
    isolation: 'READ COMMITTED' | 'REPEATABLE READ' = 'READ COMMITTED',
  ): Promise<{ fresh: E[]; result: R | undefined }> {
    const unique = new Map<string, E>();
    for (const e of envelopes) if (!unique.has(e.id)) unique.set(e.id, e);
    if (unique.size === 0) return { fresh: [], result: undefined };
    return this.dataSource.transaction(isolation, async (manager) => {
      const ids = [...unique.keys()];
      const seen: { message_id: string }[] = await manager.query(
        `SELECT message_id FROM processed_message WHERE consumer = ? AND message_id IN (${ids.map(() => '?').join(',')})`,
        [consumer, ...ids],
      );
      for (const r of seen) unique.delete(r.message_id);
      const fresh = [...unique.values()];
      if (fresh.length === 0) return { fresh, result: undefined };
      const now = new Date();
      await manager.query(
        `INSERT INTO processed_message (consumer, message_id, topic, processed_at) VALUES ${fresh.map(() => '(?, ?, ?, ?)').join(',')}`,
        fresh.flatMap((e) => [consumer, e.id, e.type, now]),
      );
      return { fresh, result: await effect(manager, fresh) };
    });
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
