import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { outboxPruned } from './metrics';

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
          'DELETE FROM outbox_message WHERE published_at IS NOT NULL AND published_at < ? ORDER BY published_at LIMIT ?',
          new Date(now.getTime() - this.options.outboxRetentionMs),
        );
        const inbox = await this.deleteChunks(
          runner,
          'DELETE FROM processed_message WHERE processed_at < ? ORDER BY processed_at LIMIT ?',
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

  private async deleteChunks(runner: { query: (sql: string, params: unknown[]) => Promise<unknown> }, sql: string, before: Date): Promise<number> {
    const chunk = this.options.chunkSize ?? 5000;
    let total = 0;
    for (;;) {
      const result = (await runner.query(sql, [before, chunk])) as { affectedRows?: number };
      const n = Number(result?.affectedRows ?? 0);
      total += n;
      if (n < chunk) return total;
    }
  }
}
