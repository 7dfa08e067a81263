import type { DataSource, QueryRunner } from 'typeorm';
import type { Logger } from 'pino';
import { outboxPruned } from './metrics';
import { isTransientError } from './errors';

export interface RetentionOptions {
  logger: Logger;
  /** Published outbox rows older than this are deleted (they serve only as a recent history). */
  outboxRetentionMs: number;
  /**
   * Processed-message records older than this are deleted. Must exceed the longest time a message can be delivered
   * again (the topics' retention), or a replay of an older message would be applied twice.
   */
  inboxRetentionMs: number;
  /** Rows deleted per statement, so a large backlog never holds locks for long (default 5000). */
  chunkSize?: number;
}

/**
 * Keeps the messaging tables bounded: deletes published outbox rows and processed-message records past their
 * retention, in small chunks. Parked outbox rows are never deleted (an operator decides). Several instances of a
 * service may run it; a named lock lets one at a time work on a database.
 */
export class MessagingRetention {
  private readonly lockName: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: RetentionOptions,
  ) {
    this.lockName = `messaging-retention:${String(dataSource.options.database)}`;
  }

  /** One pass; returns the rows deleted per table (nothing when another instance holds the lock). */
  async pruneOnce(now = new Date()): Promise<{ outbox: number; inbox: number }> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [row] = await runner.query('SELECT GET_LOCK(?, 0) AS got', [this.lockName]);
      if (Number(row.got) !== 1) return { outbox: 0, inbox: 0 };
      try {
        const outbox = await this.deleteChunks(
          runner,
          'SELECT id FROM outbox_message WHERE published_at IS NOT NULL AND published_at < ? ORDER BY published_at LIMIT ?',
          (rows) => [`DELETE FROM outbox_message WHERE id IN (${rows.map(() => '?').join(',')})`, rows.map((r) => r.id)],
          new Date(now.getTime() - this.options.outboxRetentionMs),
        );
        const inbox = await this.deleteChunks(
          runner,
          'SELECT consumer, message_id FROM processed_message WHERE processed_at < ? ORDER BY processed_at LIMIT ?',
          (rows) => [
            `DELETE FROM processed_message WHERE (consumer, message_id) IN (${rows.map(() => '(?, ?)').join(',')})`,
            rows.flatMap((r) => [r.consumer, r.message_id]),
          ],
          new Date(now.getTime() - this.options.inboxRetentionMs),
        );
        if (outbox) outboxPruned().inc({ table: 'outbox_message' }, outbox);
        if (inbox) outboxPruned().inc({ table: 'processed_message' }, inbox);
        if (outbox || inbox) this.options.logger.info({ outbox, inbox }, 'messaging tables pruned');
        return { outbox, inbox };
      } finally {
        await runner.query('SELECT RELEASE_LOCK(?)', [this.lockName]).catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
  }

  /**
   * Selects a chunk (a plain read, no locks) and deletes it by primary key, so the delete locks only rows nobody else
   * writes any more; the relay marking new rows published never meets it on the index (it deadlocked on a range
   * delete). A deadlock or lock wait anyway is retried a few times.
   */
  private async deleteChunks(
    runner: QueryRunner,
    select: string,
    remove: (rows: Record<string, string>[]) => [string, unknown[]],
    before: Date,
  ): Promise<number> {
    const chunk = this.options.chunkSize ?? 5000;
    let total = 0;
    for (let tries = 0; ; ) {
      try {
        const rows: Record<string, string>[] = await runner.query(select, [before, chunk]);
        if (rows.length === 0) return total;
        const [sql, params] = remove(rows);
        // No gap locks: the writers insert next to the rows being deleted (the next statement only).
        await runner.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
        const result = (await runner.query(sql, params)) as { affectedRows?: number };
        total += Number(result?.affectedRows ?? 0);
        if (rows.length < chunk) return total;
        tries = 0;
      } catch (error) {
        if (!isTransientError(error) || ++tries > 5) throw error;
        await new Promise((r) => setTimeout(r, 100 * tries));
      }
    }
  }
}
