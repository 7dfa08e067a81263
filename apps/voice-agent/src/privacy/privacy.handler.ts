import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import { Envelope, PrivacyExportFile, PrivacySubject, Topics } from '@receptionist/contracts';
import { Inbox, Outbox } from '@receptionist/messaging';
import { LOGGER, MessagingRuntime, OnEvent, OnRequest, PrivacyStore, SERVICE_CONFIG, answerPrivacyExport, applyPrivacyErasure } from '@receptionist/service-runtime';
import type { VoiceAgentEnv } from '../config';
import { AUDIO_STORAGE } from '../calls/recordings/storage.provider';
import type { AudioStorage } from '../calls/recordings/audio-storage';
import { servesCompany } from '../calls/serves-company';

/**
 * A caller's data in voice-agent: the calls from or to their numbers (and the calls booking names), with
 * transcripts, analyses, function calls, collected drafts, callback wishes and recordings. Erasure removes the
 * recordings from the store first (repeatable), then in one transaction the numbers, transcripts, analyses,
 * raw webhooks, drafts and wishes; the call rows stay (billing and statistics count them).
 */
@Injectable()
export class VoiceAgentPrivacyHandler implements PrivacyStore {
  readonly service = 'voice-agent' as const;
  private readonly serves: (companyId: string | null) => boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly inbox: Inbox,
    private readonly outbox: Outbox,
    private readonly runtime: MessagingRuntime,
    @Inject(AUDIO_STORAGE) private readonly storage: AudioStorage,
    @Inject(SERVICE_CONFIG) config: VoiceAgentEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.serves = servesCompany(config);
  }

  @OnRequest(Topics.privacyExportVoiceAgent.name)
  onExport(envelope: Envelope) {
    return answerPrivacyExport(this, envelope, this.serves, this.logger);
  }

  @OnEvent(Topics.privacyErasureRequested.name)
  onErasure(envelope: Envelope) {
    return applyPrivacyErasure(this, { inbox: this.inbox, outbox: this.outbox, wake: () => this.runtime.relay.wake(), serves: this.serves, logger: this.logger }, envelope);
  }

  /** The caller's call ids: by number (either side) or named by booking. */
  private async callIds(s: PrivacySubject, m: EntityManager | DataSource = this.dataSource): Promise<string[]> {
    const clauses: string[] = [];
    const params: unknown[] = [s.companyId];
    if (s.phones.length) {
      clauses.push('from_number IN (?)', 'to_number IN (?)');
      params.push(s.phones, s.phones);
    }
    if (s.callIds.length) {
      clauses.push('call_id IN (?)');
      params.push(s.callIds);
    }
    if (!clauses.length) return [];
    const rows: { call_id: string }[] = await m.query(`SELECT call_id FROM call_record WHERE company_id = ? AND (${clauses.join(' OR ')})`, params);
    return rows.map((r) => r.call_id);
  }

  async export(s: PrivacySubject) {
    const db = this.dataSource;
    const ids = await this.callIds(s);
    const phones = s.phones.length ? s.phones : ['-'];
    const q = (sql: string) => (ids.length ? db.query(sql, [s.companyId, ids]) : Promise.resolve([]));
    const calls = await q('SELECT * FROM call_record WHERE company_id = ? AND call_id IN (?) ORDER BY sort_at');
    const functions = await q('SELECT * FROM call_function WHERE company_id = ? AND call_id IN (?) ORDER BY called_at');
    const bookings = await q('SELECT * FROM call_booking WHERE company_id = ? AND call_id IN (?)');
    const recordings: Record<string, unknown>[] = await q('SELECT call_id, status, storage_key, content_type, size_bytes, sha256, stored_at FROM call_recording WHERE company_id = ? AND call_id IN (?)');
    const drafts = await db.query('SELECT * FROM call_draft WHERE company_id = ? AND (phone IN (?) OR call_id IN (?))', [s.companyId, phones, ids.length ? ids : ['-']]);
    const wishes = await db.query('SELECT * FROM callback_wish WHERE company_id = ? AND (phone IN (?) OR call_id IN (?))', [s.companyId, phones, ids.length ? ids : ['-']]);
    // The files are named here; their bytes travel in pieces (`recording.read` on voice.calls.request), never in
    // this one reply (a message takes ~1 MB).
    const files: PrivacyExportFile[] = recordings
      .filter((r) => r.status === 'stored' && typeof r.storage_key === 'string')
      .map((r) => ({
        path: `recordings/${String(r.call_id)}${extension(String(r.storage_key))}`,
        contentType: String(r.content_type ?? 'application/octet-stream'),
        sizeBytes: Number(r.size_bytes ?? 0),
        callId: String(r.call_id),
      }));
    return { service: this.service, sections: { calls, callFunctions: functions, callBookings: bookings, recordings, drafts, callbackWishes: wishes }, files };
  }

  /** Recordings leave the store before the rows change: a crash in between repeats this on redelivery. */
  async beforeErase(s: PrivacySubject) {
    const ids = await this.callIds(s);
    if (!ids.length) return;
    const rows: { storage_key: string }[] = await this.dataSource.query(
      `SELECT storage_key FROM call_recording WHERE company_id = ? AND call_id IN (?) AND status = 'stored' AND storage_key IS NOT NULL`,
      [s.companyId, ids],
    );
    for (const r of rows) await this.storage.delete(r.storage_key);
  }

  async erase(m: EntityManager, s: PrivacySubject) {
    const ids = await this.callIds(s, m);
    const phones = s.phones.length ? s.phones : ['-'];
    const counts = { calls: 0, recordings: 0, drafts: 0, callbackWishes: 0 };
    if (ids.length) {
      const calls = await m.query(
        `UPDATE call_record SET from_number = IF(from_number IN (?), NULL, from_number), to_number = IF(to_number IN (?), NULL, to_number),
            transcript = NULL, transcript_turns = NULL, summary = NULL, custom_analysis = NULL, transcript_removed_at = ?, updated_at = ?
          WHERE company_id = ? AND call_id IN (?)`,
        [phones, phones, new Date(), new Date(), s.companyId, ids],
      );
      counts.calls = calls.affectedRows ?? 0;
      // The raw call objects hold the same transcript and numbers.
      await m.query('DELETE FROM call_webhook WHERE call_id IN (?)', [ids]);
      const recordings = await m.query(
        `UPDATE call_recording SET status = 'erased', source_url = '', storage_key = NULL, storage_driver = NULL, claimed_until = NULL, last_error = NULL
          WHERE company_id = ? AND call_id IN (?) AND status <> 'erased'`,
        [s.companyId, ids],
      );
      counts.recordings = recordings.affectedRows ?? 0;
    }
    const idsOrNone = ids.length ? ids : ['-'];
    counts.drafts = (await m.query('DELETE FROM call_draft WHERE company_id = ? AND (phone IN (?) OR call_id IN (?))', [s.companyId, phones, idsOrNone])).affectedRows ?? 0;
    counts.callbackWishes = (await m.query('DELETE FROM callback_wish WHERE company_id = ? AND (phone IN (?) OR call_id IN (?))', [s.companyId, phones, idsOrNone])).affectedRows ?? 0;
    return counts;
  }
}

function extension(key: string): string {
  const m = /\.[A-Za-z0-9]{1,5}$/.exec(key);
  return m ? m[0] : '';
}
