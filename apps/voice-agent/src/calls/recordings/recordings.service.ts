import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { LOGGER, SERVICE_CONFIG } from '@receptionist/service-runtime';
import { recordingHosts, type AllowedHost, type VoiceAgentEnv } from '../../config';
import { refuseRecordingUrl } from '../call-records.service';
import { recordingDownloads } from '../calls.metrics';
import { AUDIO_STORAGE } from './storage.provider';
import type { AudioStorage } from './audio-storage';

/** Tries within one attempt (network blips, a 5xx), before the recording waits for the poller. */
const QUICK_TRIES = 3;
const QUICK_BACKOFF_MS = [250, 1000];
/** Longest wait between two attempts of the poller. */
const MAX_BACKOFF_MS = 6 * 3600_000;
const CLAIM_MS = 5 * 60_000;
const BATCH = 10;
const MAX_REDIRECTS = 3;

/** The URL (or a redirect from it) leads outside RECORDING_URL_HOSTS: never fetched, not retried. */
class RecordingRefusedError extends Error {
  override readonly name = 'RecordingRefusedError';
}

export interface RecordingRow {
  call_id: string;
  company_id: string | null;
  source_url: string;
  status: 'pending' | 'stored' | 'refused' | 'erased' | 'expired';
  attempts: number;
  storage_key: string | null;
  storage_driver: string | null;
  content_type: string | null;
  size_bytes: string | number | null;
  sha256: string | null;
  stored_at: Date | null;
  last_error: string | null;
}

/** Where a call's recording goes: by company and month, the call id kept readable when it is safe to. */
export function recordingKey(companyId: string | null, callId: string, contentType: string, at: Date): string {
  const id = /^[A-Za-z0-9_-]{1,100}$/.test(callId) ? callId : createHash('sha256').update(callId).digest('hex');
  const ext = /mpeg|mp3/.test(contentType) ? 'mp3' : /ogg/.test(contentType) ? 'ogg' : 'wav';
  const month = `${at.getUTCFullYear()}/${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
  return `${companyId ?? '_unrouted'}/${month}/${id}.${ext}`;
}

/**
 * Copies Retell's recording (`recording_url`) into our audio storage. The row in `call_recording` is written with
 * the call record, so a recording is never forgotten: it is fetched right after the webhook is applied, and a
 * failed fetch (after a few quick tries) is retried by the poller with growing back-off until it is stored.
 * A claim (`claimed_until`) keeps two instances from downloading the same file at once.
 */
@Injectable()
export class RecordingsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = false;
  private readonly allowedHosts: AllowedHost[];

  constructor(
    private readonly dataSource: DataSource,
    @Inject(AUDIO_STORAGE) private readonly storage: AudioStorage,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_CONFIG) private readonly config: VoiceAgentEnv,
  ) {
    this.allowedHosts = recordingHosts(config);
  }

  onApplicationBootstrap() {
    let busy = false;
    this.timer = setInterval(() => {
      if (busy || this.stopping) return;
      busy = true;
      void this.track(this.retryDue()).finally(() => (busy = false));
    }, this.config.RECORDING_RETRY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    this.stopping = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight]);
  }

  /** Starts fetching one call's recording in the background (after the webhook that named it committed). */
  kick(callId: string): void {
    if (!this.stopping) void this.track(this.fetch(callId));
  }

  private track<T>(p: Promise<T>): Promise<T | undefined> {
    const guarded = p.catch((error) => {
      this.logger.error({ err: error }, 'recording job failed');
      return undefined;
    });
    this.inFlight.add(guarded);
    void guarded.finally(() => this.inFlight.delete(guarded));
    return guarded;
  }

  /** Fetches every recording that is due (the poller). Returns how many were stored. */
  async retryDue(): Promise<number> {
    const due: { call_id: string }[] = await this.dataSource.query(
      `SELECT call_id FROM call_recording WHERE status = 'pending' AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)
       ORDER BY next_attempt_at LIMIT ${BATCH}`,
      [new Date(), new Date()],
    );
    let stored = 0;
    for (const { call_id } of due) {
      if (this.stopping) break;
      if (await this.fetch(call_id)) stored++;
    }
    return stored;
  }

  /** One attempt (with quick tries) for one call; true when the recording is stored. */
  async fetch(callId: string): Promise<boolean> {
    const now = new Date();
    const claim = await this.dataSource.query(
      `UPDATE call_recording SET claimed_until = ? WHERE call_id = ? AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < ?)`,
      [new Date(now.getTime() + CLAIM_MS), callId, now],
    );
    if ((claim.affectedRows ?? 0) !== 1) return false;
    const [row]: RecordingRow[] = await this.dataSource.query('SELECT * FROM call_recording WHERE call_id = ?', [callId]);
    let lastError = 'unknown';
    for (let attempt = 0; attempt < QUICK_TRIES && !this.stopping; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, QUICK_BACKOFF_MS[attempt - 1] ?? 1000));
      try {
        const stored = await this.download(row);
        await this.dataSource.query(
          `UPDATE call_recording SET status = 'stored', attempts = attempts + 1, claimed_until = NULL, last_error = NULL, storage_driver = ?,
             storage_key = ?, content_type = ?, size_bytes = ?, sha256 = ?, stored_at = ? WHERE call_id = ?`,
          [this.storage.driver, stored.key, stored.contentType, stored.sizeBytes, stored.sha256, new Date(), callId],
        );
        recordingDownloads().inc({ outcome: 'stored' });
        this.logger.info({ callId, companyId: row.company_id, sizeBytes: stored.sizeBytes }, 'recording stored');
        return true;
      } catch (error) {
        lastError = (error as Error).message.slice(0, 500);
        if (error instanceof RecordingRefusedError) {
          await this.dataSource.query(`UPDATE call_recording SET status = 'refused', claimed_until = NULL, last_error = ? WHERE call_id = ? AND status = 'pending'`, [
            lastError,
            callId,
          ]);
          recordingDownloads().inc({ outcome: 'refused' });
          this.logger.warn({ callId, companyId: row.company_id, reason: lastError }, 'recording not fetched: its host is not allowed');
          return false;
        }
        recordingDownloads().inc({ outcome: 'failed' });
      }
    }
    const attempts = row.attempts + 1;
    const wait = Math.min(this.config.RECORDING_RETRY_MS * 2 ** Math.min(attempts - 1, 10), MAX_BACKOFF_MS);
    await this.dataSource.query(
      `UPDATE call_recording SET attempts = ?, next_attempt_at = ?, claimed_until = NULL, last_error = ? WHERE call_id = ? AND status = 'pending'`,
      [attempts, new Date(Date.now() + wait), lastError, callId],
    );
    this.logger.warn({ callId, companyId: row.company_id, attempts, error: lastError, retryInMs: wait }, 'recording not fetched; will retry');
    return false;
  }

  /** GET on an allowed URL; redirects are followed by hand so that every hop is checked against the allow-list. */
  private async get(source: string): Promise<Response> {
    const signal = AbortSignal.timeout(this.config.RECORDING_DOWNLOAD_TIMEOUT_MS);
    let url = source;
    for (let hop = 0; ; hop++) {
      const refusal = refuseRecordingUrl(url, this.allowedHosts);
      if (refusal) throw new RecordingRefusedError(hop ? refusal.replace('recording URL refused', 'recording redirect refused') : refusal);
      const res = await fetch(url, { signal, redirect: 'manual' });
      const location = res.headers.get('location');
      if (![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
      await res.body?.cancel().catch(() => undefined);
      if (hop >= MAX_REDIRECTS) throw new Error(`recording download: more than ${MAX_REDIRECTS} redirects`);
      url = new URL(location, url).href;
    }
  }

  private async download(row: RecordingRow) {
    const res = await this.get(row.source_url);
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`recording download answered ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > this.config.RECORDING_MAX_BYTES) {
      await res.body.cancel().catch(() => undefined);
      throw new Error(`recording is larger than ${this.config.RECORDING_MAX_BYTES} bytes`);
    }
    const header = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    const contentType = header.startsWith('audio/') ? header : 'audio/wav';
    const key = recordingKey(row.company_id, row.call_id, contentType, new Date());
    const body = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
    const stored = await this.storage.put(key, body, contentType, this.config.RECORDING_MAX_BYTES);
    if (Number.isFinite(declared) && declared !== stored.sizeBytes) throw new Error(`recording truncated: ${stored.sizeBytes} of ${declared} bytes`);
    return { key, contentType, ...stored };
  }

  async find(companyId: string, callId: string): Promise<RecordingRow | null> {
    const [row]: RecordingRow[] = await this.dataSource.query('SELECT * FROM call_recording WHERE call_id = ? AND company_id = ?', [callId, companyId]);
    return row ?? null;
  }

  read(key: string, offset: number, length: number): Promise<Buffer> {
    return this.storage.read(key, offset, length);
  }
}
