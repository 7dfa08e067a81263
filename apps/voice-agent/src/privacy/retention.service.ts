import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, QueryRunner } from 'typeorm';
import { LOGGER, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { VoiceAgentEnv } from '../config';
import { AUDIO_STORAGE } from '../calls/recordings/storage.provider';
import type { AudioStorage } from '../calls/recordings/audio-storage';
import { servesCompany } from '../calls/serves-company';

/** Calls handled per statement: a large backlog never holds locks (or the store) for long. */
const CHUNK = 200;
const DAY_MS = 86_400_000;

type Retention = {
  recordingsDays: number | null;
  transcriptsDays: number | null;
};

/**
 * Each company's retention of recordings and transcripts (issue 16), enforced every RETENTION_INTERVAL_MS: a
 * recording of a call older than the company's days leaves the store and its row becomes `expired`; a transcript
 * (with the raw call objects that repeat it) is removed. Call rows, summaries and billing stay. A named database
 * lock lets one instance at a time work; chunks of CHUNK calls; the store first, then the row, so a crash in between
 * only repeats a delete.
 */
@Injectable()
export class RetentionService {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private readonly serves: (companyId: string | null) => boolean;
  private readonly lockName: string;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(AUDIO_STORAGE) private readonly storage: AudioStorage,
    @Inject(SERVICE_CONFIG) private readonly config: VoiceAgentEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.serves = servesCompany(config);
    this.lockName = `call-retention:${String(dataSource.options.database)}`;
  }

  onApplicationBootstrap() {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.enforce()
        .catch((error) => this.logger.error({ err: error }, 'retention round failed'))
        .finally(() => (this.running = undefined));
    }, this.config.RETENTION_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    clearInterval(this.timer);
    await this.running;
  }

  async get(companyId: string): Promise<Retention> {
    const [row] = await this.dataSource.query('SELECT recordings_days, transcripts_days FROM company_retention WHERE company_id = ?', [companyId]);
    return { recordingsDays: row?.recordings_days ?? null, transcriptsDays: row?.transcripts_days ?? null };
  }

  async set(companyId: string, recordingsDays: number | null, transcriptsDays: number | null): Promise<Retention> {
    await this.dataSource.query(
      `INSERT INTO company_retention (company_id, recordings_days, transcripts_days, updated_at) VALUES (?, ?, ?, ?)
        ON DUPLICATE KEY UPDATE recordings_days = VALUES(recordings_days), transcripts_days = VALUES(transcripts_days), updated_at = VALUES(updated_at)`,
      [companyId, recordingsDays, transcriptsDays, new Date()],
    );
    return { recordingsDays, transcriptsDays };
  }

  /** One round over every company with a retention; nothing when another instance holds the lock. */
  async enforce(now = new Date()): Promise<{ recordings: number; transcripts: number }> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    const total = { recordings: 0, transcripts: 0 };
    try {
      const [lock] = await runner.query('SELECT GET_LOCK(?, 0) AS got', [this.lockName]);
      if (Number(lock.got) !== 1) return total;
      try {
        const companies: { company_id: string; recordings_days: number | null; transcripts_days: number | null }[] = await runner.query(
          'SELECT company_id, recordings_days, transcripts_days FROM company_retention WHERE recordings_days IS NOT NULL OR transcripts_days IS NOT NULL',
        );
        for (const c of companies.filter((x) => this.serves(x.company_id))) {
          if (c.recordings_days) total.recordings += await this.expireRecordings(runner, c.company_id, new Date(now.getTime() - c.recordings_days * DAY_MS));
          if (c.transcripts_days) total.transcripts += await this.removeTranscripts(runner, c.company_id, new Date(now.getTime() - c.transcripts_days * DAY_MS), now);
        }
      } finally {
        await runner.query('SELECT RELEASE_LOCK(?)', [this.lockName]).catch(() => undefined);
      }
    } finally {
      await runner.release();
    }
    if (total.recordings || total.transcripts) this.logger.info(total, 'retention enforced');
    return total;
  }

  private async expireRecordings(runner: QueryRunner, companyId: string, before: Date): Promise<number> {
    let done = 0;
    for (;;) {
      const rows: { call_id: string; storage_key: string }[] = await runner.query(
        `SELECT r.call_id, r.storage_key FROM call_recording r JOIN call_record c ON c.call_id = r.call_id
          WHERE c.company_id = ? AND c.sort_at < ? AND r.status = 'stored' AND r.storage_key IS NOT NULL LIMIT ?`,
        [companyId, before, CHUNK],
      );
      if (!rows.length) return done;
      for (const r of rows) await this.storage.delete(r.storage_key);
      await runner.query(`UPDATE call_recording SET status = 'expired', storage_key = NULL, storage_driver = NULL WHERE call_id IN (?) AND status = 'stored'`, [rows.map((r) => r.call_id)]);
      done += rows.length;
      if (rows.length < CHUNK) return done;
    }
  }

  private async removeTranscripts(runner: QueryRunner, companyId: string, before: Date, now: Date): Promise<number> {
    let done = 0;
    for (;;) {
      const rows: { call_id: string }[] = await runner.query(
        'SELECT call_id FROM call_record WHERE company_id = ? AND sort_at < ? AND transcript_removed_at IS NULL LIMIT ?',
        [companyId, before, CHUNK],
      );
      if (!rows.length) return done;
      const ids = rows.map((r) => r.call_id);
      await runner.query('UPDATE call_record SET transcript = NULL, transcript_turns = NULL, transcript_removed_at = ? WHERE call_id IN (?)', [now, ids]);
      // The raw call objects repeat the transcript.
      await runner.query('DELETE FROM call_webhook WHERE call_id IN (?)', [ids]);
      done += ids.length;
      if (rows.length < CHUNK) return done;
    }
  }
}
