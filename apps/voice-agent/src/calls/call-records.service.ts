import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Topics, type CallOutcome } from '@receptionist/contracts';
import { Outbox } from '@receptionist/messaging';
import { SERVICE_CONFIG } from '@receptionist/service-runtime';
import { recordingHosts, recordingUrlAllowed, type AllowedHost, type VoiceAgentEnv } from '../config';
import { callSeconds, compactCall, projectCall, turnCount, type CallProjection, type RetellCallEvent, type StoredWebhook } from './call-projection';
import { callFacts, callTalkSeconds } from './calls.metrics';

export interface WebhookInput {
  companyId: string | null;
  event: RetellCallEvent;
  callId: string;
  agentId: string | null;
  receivedAt: Date;
  call: Record<string, unknown>;
}

interface RecordRow {
  call_id: string;
  company_id: string | null;
  agent_id: string | null;
  from_number: string | null;
  to_number: string | null;
  direction: string | null;
  status: string;
  outcome: CallOutcome;
  started_at: Date | null;
  ended_at: Date | null;
  duration_ms: number | null;
  disconnection_reason: string | null;
  transcript: string | null;
  transcript_turns: string | null;
  summary: string | null;
  sentiment: string | null;
  successful: number | null;
  in_voicemail: number | null;
  custom_analysis: string | null;
  retell_cost_minor: number | null;
  retell_cost: string | null;
  sort_at: Date;
  created_at: Date;
  updated_at: Date;
}

export interface ListFilter {
  from?: string;
  to?: string;
  number?: string;
  outcome?: CallOutcome;
  limit: number;
  cursor?: string;
}

const json = (s: string | null) => (s ? JSON.parse(s) : null);

/** Keyset cursor over (sort_at, call_id), newest first. */
export function encodeCursor(sortAt: Date, callId: string): string {
  return Buffer.from(JSON.stringify([sortAt.getTime(), callId])).toString('base64url');
}
export function decodeCursor(cursor: string): { sortAt: Date; callId: string } | null {
  try {
    const [ms, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    return typeof ms === 'number' && typeof id === 'string' ? { sortAt: new Date(ms), callId: id } : null;
  } catch {
    return null;
  }
}

/**
 * The call record (voice-agent's own database). Every webhook is stored as Retell's last call object for its
 * event type and the record is folded again from all of them (see call-projection), under a lock on the call's
 * row, so duplicates and any arrival order give the same record. Facts go out through the outbox in the same
 * transaction, each at most once per call (`call_fact` primary key), and only for calls of a known company.
 */
@Injectable()
export class CallRecordsService {
  private readonly recordingHosts: AllowedHost[];

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    @Inject(SERVICE_CONFIG) config: VoiceAgentEnv,
  ) {
    this.recordingHosts = recordingHosts(config);
  }

  /**
   * Applies one webhook inside the inbox transaction; answers whether a recording is waiting to be fetched, or was
   * refused because its URL is not on RECORDING_URL_HOSTS (kept as `refused`, never fetched).
   */
  async applyWebhook(manager: EntityManager, input: WebhookInput): Promise<{ recordingPending: boolean; recordingRefused: string | null }> {
    const now = new Date();
    await manager.query(
      `INSERT INTO call_record (call_id, company_id, agent_id, status, outcome, sort_at, created_at, updated_at)
       VALUES (?, ?, ?, 'registered', 'ongoing', ?, ?, ?)
       ON DUPLICATE KEY UPDATE company_id = COALESCE(company_id, VALUES(company_id))`,
      [input.callId, input.companyId, input.agentId, input.receivedAt, now, now],
    );
    // Replaced by a later object of the same event only if it knows at least as much (transcript_updated repeats).
    await manager.query(
      `INSERT INTO call_webhook (call_id, event, call_object, turns, received_at) VALUES (?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE call_object = IF(VALUES(turns) >= turns, VALUES(call_object), call_object), turns = GREATEST(turns, VALUES(turns))`,
      [input.callId, input.event, JSON.stringify(compactCall(input.call)), turnCount(input.call), input.receivedAt],
    );
    const projection = await this.reproject(manager, input.callId);
    let recordingPending = false;
    let recordingRefused: string | null = null;
    if (projection?.p.recordingUrl) {
      const refusal = refuseRecordingUrl(projection.p.recordingUrl, this.recordingHosts);
      const inserted = await manager.query(
        `INSERT IGNORE INTO call_recording (call_id, company_id, source_url, status, attempts, next_attempt_at, last_error, created_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?)`,
        [input.callId, projection.companyId, projection.p.recordingUrl, refusal ? 'refused' : 'pending', now, refusal, now],
      );
      const isNew = (inserted.affectedRows ?? 0) === 1;
      recordingPending = isNew && !refusal;
      recordingRefused = isNew ? refusal : null;
    }
    return { recordingPending, recordingRefused };
  }

  /** An appointment booked during the call (function reply or booking.created). */
  async addBooking(manager: EntityManager, companyId: string, callId: string, appointmentId: string): Promise<void> {
    const r = await manager.query('INSERT IGNORE INTO call_booking (company_id, call_id, appointment_id, recorded_at) VALUES (?, ?, ?, ?)', [
      companyId,
      callId,
      appointmentId,
      new Date(),
    ]);
    // A booking that arrives after the call ended changes its outcome; the facts already published stay as they are.
    if ((r.affectedRows ?? 0) === 1) await this.reproject(manager, callId, companyId);
  }

  /** Folds the call again, updates its row and publishes the facts that have become true. */
  private async reproject(manager: EntityManager, callId: string, expectedCompany?: string): Promise<{ p: CallProjection; companyId: string | null } | null> {
    const [row]: { company_id: string | null; agent_id: string | null }[] = await manager.query(
      'SELECT company_id, agent_id FROM call_record WHERE call_id = ? FOR UPDATE',
      [callId],
    );
    if (!row || (expectedCompany && row.company_id !== expectedCompany)) return null;
    const hooks: { event: RetellCallEvent; call_object: string; received_at: Date }[] = await manager.query(
      'SELECT event, call_object, received_at FROM call_webhook WHERE call_id = ?',
      [callId],
    );
    const webhooks: StoredWebhook[] = hooks.map((h) => ({ event: h.event, call: JSON.parse(h.call_object), receivedAt: new Date(h.received_at) }));
    // Only bookings of the call's own company count (a call id is not a secret).
    const bookings: { appointment_id: string }[] = await manager.query(
      'SELECT appointment_id FROM call_booking WHERE call_id = ? AND company_id = ? ORDER BY recorded_at, appointment_id',
      [callId, row.company_id ?? ''],
    );
    const p = projectCall(webhooks, bookings.length);
    const a = p.analysis;
    await manager.query(
      `UPDATE call_record SET agent_id = COALESCE(?, agent_id), from_number = ?, to_number = ?, direction = ?, status = ?, outcome = ?,
         started_at = ?, ended_at = ?, sort_at = COALESCE(?, ?, sort_at), duration_ms = ?, disconnection_reason = ?, transcript = ?,
         transcript_turns = ?, summary = ?, sentiment = ?, successful = ?, in_voicemail = ?, custom_analysis = ?, retell_cost_minor = ?,
         retell_cost = ?, updated_at = ?
       WHERE call_id = ?`,
      [
        p.agentId,
        p.fromNumber,
        p.toNumber,
        p.direction,
        p.status,
        p.outcome,
        p.startedAt,
        p.endedAt,
        p.startedAt,
        p.endedAt,
        p.durationMs,
        p.disconnectionReason,
        p.transcript,
        p.turns ? JSON.stringify(p.turns) : null,
        a?.summary ?? null,
        a?.sentiment ?? null,
        a ? (a.successful === null ? null : Number(a.successful)) : null,
        a ? (a.inVoicemail === null ? null : Number(a.inVoicemail)) : null,
        a ? JSON.stringify(a.custom) : null,
        p.retellCostMinor,
        p.retellCost ? JSON.stringify(p.retellCost) : null,
        new Date(),
        callId,
      ],
    );
    if (row.company_id) await this.publishFacts(manager, row.company_id, callId, p, p.agentId ?? row.agent_id, bookings.map((b) => b.appointment_id));
    return { p, companyId: row.company_id };
  }

  private async publishFacts(manager: EntityManager, companyId: string, callId: string, p: CallProjection, agentId: string | null, bookingIds: string[]) {
    const startedAt = p.startedAt ?? p.endedAt;
    const base = { callId, agentId: agentId ?? 'unknown', fromNumber: p.fromNumber, toNumber: p.toNumber, direction: p.direction ?? 'inbound' };
    // A call that never connected did not start (Retell sends no call_started for it either).
    if (p.startedAt) {
      const connectedAt = p.startedAt;
      await this.once(manager, companyId, callId, Topics.callStarted.name, () => ({ ...base, startedAt: connectedAt.toISOString() }));
    }
    if ((p.status === 'ended' || p.status === 'analyzed') && p.endedAt && startedAt) {
      const endedAt = p.endedAt;
      const seconds = callSeconds(p);
      const published = await this.once(manager, companyId, callId, Topics.callCompleted.name, () => ({
        ...base,
        startedAt: startedAt.toISOString(),
        endedAt: endedAt.toISOString(),
        ...seconds,
        disconnectionReason: p.disconnectionReason,
        bookingIds,
      }));
      if (published) callTalkSeconds().inc(seconds.durationSeconds);
    }
    if (p.analysis) {
      const a = p.analysis;
      await this.once(manager, companyId, callId, Topics.callAnalyzed.name, () => ({
        callId,
        summary: a.summary,
        sentiment: a.sentiment,
        successful: a.successful,
        customData: a.custom,
      }));
    }
  }

  /** The marker row and the outbox row commit together: the fact goes out exactly once per call. */
  private async once(manager: EntityManager, companyId: string, callId: string, fact: string, data: () => unknown): Promise<boolean> {
    const [seen] = await manager.query('SELECT 1 AS x FROM call_fact WHERE call_id = ? AND fact = ?', [callId, fact]);
    if (seen) return false;
    const envelope = await this.outbox.add(manager, { topic: fact, key: callId, companyId, subject: callId, data: data() });
    await manager.query('INSERT INTO call_fact (call_id, fact, message_id, published_at) VALUES (?, ?, ?, ?)', [callId, fact, envelope.id, new Date()]);
    callFacts().inc({ fact });
    return true;
  }

  // ---- reading (always within one company) ----

  async list(companyId: string, f: ListFilter) {
    const where = ['company_id = ?'];
    const params: unknown[] = [companyId];
    if (f.from) {
      where.push('sort_at >= ?');
      params.push(new Date(f.from));
    }
    if (f.to) {
      where.push('sort_at < ?');
      params.push(new Date(f.to));
    }
    if (f.number) {
      where.push('(from_number = ? OR to_number = ?)');
      params.push(f.number, f.number);
    }
    if (f.outcome) {
      where.push('outcome = ?');
      params.push(f.outcome);
    }
    if (f.cursor) {
      const c = decodeCursor(f.cursor);
      if (!c) throw new InvalidCursorError();
      where.push('(sort_at < ? OR (sort_at = ? AND call_id < ?))');
      params.push(c.sortAt, c.sortAt, c.callId);
    }
    const rows: RecordRow[] = await this.dataSource.query(
      `SELECT call_id, company_id, agent_id, from_number, to_number, direction, status, outcome, started_at, ended_at, duration_ms,
              disconnection_reason, summary, sentiment, successful, retell_cost_minor, sort_at
       FROM call_record WHERE ${where.join(' AND ')} ORDER BY sort_at DESC, call_id DESC LIMIT ${f.limit + 1}`,
      params,
    );
    const page = rows.slice(0, f.limit);
    const last = page[page.length - 1];
    return {
      calls: page.map((r) => this.summaryView(r)),
      next: rows.length > f.limit && last ? encodeCursor(new Date(last.sort_at), last.call_id) : null,
    };
  }

  async get(companyId: string, callId: string) {
    const [row]: RecordRow[] = await this.dataSource.query('SELECT * FROM call_record WHERE call_id = ? AND company_id = ?', [callId, companyId]);
    if (!row) return null;
    const functions: { name: string; success: number; code: string | null; duration_ms: number; called_at: Date }[] = await this.dataSource.query(
      'SELECT name, success, code, duration_ms, called_at FROM call_function WHERE call_id = ? AND company_id = ? ORDER BY called_at, request_key',
      [callId, companyId],
    );
    const bookings: { appointment_id: string }[] = await this.dataSource.query(
      'SELECT appointment_id FROM call_booking WHERE call_id = ? AND company_id = ? ORDER BY recorded_at, appointment_id',
      [callId, companyId],
    );
    const [rec]: { status: string; content_type: string | null; size_bytes: string | null; sha256: string | null; stored_at: Date | null; attempts: number }[] =
      await this.dataSource.query('SELECT status, content_type, size_bytes, sha256, stored_at, attempts FROM call_recording WHERE call_id = ? AND company_id = ?', [
        callId,
        companyId,
      ]);
    return {
      ...this.summaryView(row),
      transcript: row.transcript,
      turns: json(row.transcript_turns) ?? [],
      analysis:
        row.summary !== null || row.sentiment !== null || row.successful !== null || row.custom_analysis !== null
          ? {
              summary: row.summary,
              sentiment: row.sentiment,
              successful: row.successful === null ? null : row.successful === 1,
              inVoicemail: row.in_voicemail === null ? null : row.in_voicemail === 1,
              custom: json(row.custom_analysis) ?? {},
            }
          : null,
      retellCost: json(row.retell_cost),
      functions: functions.map((f) => ({
        name: f.name,
        success: f.success === 1,
        code: f.code,
        durationMs: f.duration_ms,
        calledAt: new Date(f.called_at).toISOString(),
      })),
      bookingIds: bookings.map((b) => b.appointment_id),
      handoff: handoffOf(functions, row),
      recording: rec
        ? {
            status: rec.status,
            contentType: rec.content_type,
            sizeBytes: rec.size_bytes === null ? null : Number(rec.size_bytes),
            sha256: rec.sha256,
            storedAt: rec.stored_at ? new Date(rec.stored_at).toISOString() : null,
            attempts: rec.attempts,
          }
        : null,
    };
  }

  private summaryView(r: RecordRow) {
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
    const seconds = r.duration_ms === null ? null : Math.ceil(r.duration_ms / 1000);
    return {
      callId: r.call_id,
      agentId: r.agent_id,
      fromNumber: r.from_number,
      toNumber: r.to_number,
      direction: r.direction,
      status: r.status,
      outcome: r.outcome,
      startedAt: iso(r.started_at),
      endedAt: iso(r.ended_at),
      durationSeconds: seconds,
      disconnectionReason: r.disconnection_reason,
      summary: r.summary,
      sentiment: r.sentiment,
      successful: r.successful === null ? null : r.successful === 1,
      retellCostMinor: r.retell_cost_minor,
    };
  }
}

/** Retell's disconnection reasons that mean the caller was put through. */
const TRANSFERRED = new Set(['call_transfer', 'transfer_bridged']);

/**
 * The caller asked for a person (transfer_to_human): when, and what came of it — put through (Retell ended the
 * AI leg with a transfer), the transfer failed, not put through, still going, or a call back recorded instead.
 */
function handoffOf(functions: { name: string; success: number; code: string | null; called_at: Date }[], row: { ended_at: Date | null; disconnection_reason: string | null }) {
  const asked = functions.filter((f) => f.name === 'transfer_to_human' && f.success === 1);
  const last = asked[asked.length - 1];
  if (!last) return null;
  const requestedAt = new Date(last.called_at).toISOString();
  if (last.code === 'callback_recorded') return { requestedAt, outcome: 'callback_recorded' as const };
  const reason = row.disconnection_reason;
  const outcome = reason && TRANSFERRED.has(reason) ? 'transferred' : reason === 'transfer_cancelled' ? 'transfer_failed' : row.ended_at ? 'not_transferred' : 'transferring';
  return { requestedAt, outcome };
}

/** Why a recording URL may not be fetched (null: it may). The host is named, the rest of the URL (tokens) is not. */
export function refuseRecordingUrl(source: string, allowed: AllowedHost[]): string | null {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return 'recording URL refused: not a URL';
  }
  return recordingUrlAllowed(url, allowed) ? null : `recording URL refused: ${url.protocol}//${url.host} is not on RECORDING_URL_HOSTS`;
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  constructor() {
    super('cursor: is not a cursor this API gave out');
  }
}
