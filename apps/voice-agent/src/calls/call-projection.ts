import { toE164, type CallOutcome, type retellCallEvents } from '@receptionist/contracts';

export type RetellCallEvent = (typeof retellCallEvents)[number];
export type CallStatus = 'registered' | 'ongoing' | 'ended' | 'analyzed';

/**
 * How much of the call an event knows. The record is folded from the last call object of each event type in
 * this order, later ones overriding field by field with what they carry, so the result does not depend on
 * the order the webhooks arrived in (Retell sends in order but does not block; we consume at least once).
 */
export const EVENT_RANK: Record<RetellCallEvent, number> = { call_started: 1, transcript_updated: 2, call_ended: 3, call_analyzed: 4 };

export interface StoredWebhook {
  event: RetellCallEvent;
  call: Record<string, unknown>;
  receivedAt: Date;
}

export interface TranscriptTurn {
  role: string;
  content: string;
  /** Seconds from the start of the call, when Retell gave word timings. */
  startSeconds?: number;
  endSeconds?: number;
}

export interface CallAnalysis {
  summary: string | null;
  sentiment: string | null;
  successful: boolean | null;
  inVoicemail: boolean | null;
  custom: Record<string, unknown>;
}

export interface CallProjection {
  agentId: string | null;
  fromNumber: string | null;
  toNumber: string | null;
  direction: 'inbound' | 'outbound' | null;
  status: CallStatus;
  outcome: CallOutcome;
  startedAt: Date | null;
  endedAt: Date | null;
  durationMs: number | null;
  disconnectionReason: string | null;
  transcript: string | null;
  turns: TranscriptTurn[] | null;
  analysis: CallAnalysis | null;
  /** Retell's `combined_cost` (US cents), rounded to whole cents; the full `call_cost` is kept beside it. */
  retellCostMinor: number | null;
  retellCost: Record<string, unknown> | null;
  recordingUrl: string | null;
}

const str = (v: unknown, max = 10_000): string | null => (typeof v === 'string' && v.trim() ? v.slice(0, max) : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : null);
/** Retell's timestamps are ms since the epoch; anything implausible is ignored rather than stored. */
const instant = (v: unknown): Date | null => {
  const n = num(v);
  return n !== null && n > 946_684_800_000 && n < 4_102_444_800_000 ? new Date(Math.trunc(n)) : null;
};

const NOT_CONNECTED = new Set(['dial_busy', 'dial_failed', 'dial_no_answer']);

/** The utterances of `transcript_object` without word timings (kept compact), or of `transcript_with_tool_calls`. */
export function readTurns(call: Record<string, unknown>): TranscriptTurn[] | null {
  const source = Array.isArray(call.transcript_object) ? call.transcript_object : Array.isArray(call.transcript_with_tool_calls) ? call.transcript_with_tool_calls : null;
  if (!source) return null;
  const turns: TranscriptTurn[] = [];
  for (const item of source) {
    const u = obj(item);
    const role = str(u?.role, 32);
    const content = typeof u?.content === 'string' ? u.content : null;
    if (!u || !role || content === null || (role !== 'agent' && role !== 'user')) continue;
    const turn: TranscriptTurn = { role, content: content.slice(0, 10_000) };
    const words = Array.isArray(u.words) ? u.words.map(obj) : [];
    const first = num(words[0]?.start);
    const last = num(words[words.length - 1]?.end);
    if (first !== null) turn.startSeconds = first;
    if (last !== null) turn.endSeconds = last;
    turns.push(turn);
  }
  return turns;
}

/**
 * The call object as stored: each utterance's word timings cut to its first and last word (all that readTurns
 * uses). A long call's words are most of its size (MiBs); the stored object stays well inside a MEDIUMTEXT.
 */
export function compactCall(call: Record<string, unknown>): Record<string, unknown> {
  const compact = (list: unknown) =>
    Array.isArray(list)
      ? list.map((u) => {
          const o = obj(u);
          return o && Array.isArray(o.words) && o.words.length > 2 ? { ...o, words: [o.words[0], o.words[o.words.length - 1]] } : u;
        })
      : list;
  const out = { ...call };
  for (const key of ['transcript_object', 'transcript_with_tool_calls']) if (key in out) out[key] = compact(out[key]);
  return out;
}

/** How many utterances a call object carries: a later `transcript_updated` replaces an earlier one only if it has more. */
export function turnCount(call: Record<string, unknown>): number {
  return readTurns(call)?.length ?? 0;
}

function readAnalysis(call: Record<string, unknown>): CallAnalysis | null {
  const a = obj(call.call_analysis);
  if (!a) return null;
  return {
    summary: str(a.call_summary),
    sentiment: str(a.user_sentiment, 16),
    successful: bool(a.call_successful),
    inVoicemail: bool(a.in_voicemail),
    custom: obj(a.custom_analysis_data) ?? {},
  };
}

/** Folds the stored webhooks of one call (any order) and the number of bookings made in it into the record. */
export function projectCall(webhooks: StoredWebhook[], bookingCount: number): CallProjection {
  const ordered = [...webhooks].sort((a, b) => EVENT_RANK[a.event] - EVENT_RANK[b.event]);
  const p: CallProjection = {
    agentId: null,
    fromNumber: null,
    toNumber: null,
    direction: null,
    status: 'registered',
    outcome: 'ongoing',
    startedAt: null,
    endedAt: null,
    durationMs: null,
    disconnectionReason: null,
    transcript: null,
    turns: null,
    analysis: null,
    retellCostMinor: null,
    retellCost: null,
    recordingUrl: null,
  };
  let callStatus: string | null = null;
  let endSeenAt: Date | null = null;
  const take = <K extends keyof CallProjection>(key: K, value: CallProjection[K] | null) => {
    if (value !== null && value !== undefined) p[key] = value;
  };
  for (const { event, call, receivedAt } of ordered) {
    take('agentId', str(call.agent_id, 128));
    take('fromNumber', toE164(call.from_number ?? null));
    take('toNumber', toE164(call.to_number ?? null));
    take('direction', call.direction === 'inbound' || call.direction === 'outbound' ? call.direction : null);
    take('startedAt', instant(call.start_timestamp));
    take('endedAt', instant(call.end_timestamp));
    take('durationMs', num(call.duration_ms) !== null ? Math.max(0, Math.round(num(call.duration_ms)!)) : null);
    take('disconnectionReason', str(call.disconnection_reason, 64));
    take('transcript', typeof call.transcript === 'string' ? call.transcript : null);
    take('turns', readTurns(call));
    take('analysis', readAnalysis(call));
    const cost = obj(call.call_cost);
    if (cost) {
      p.retellCost = cost;
      const combined = num(cost.combined_cost);
      if (combined !== null) p.retellCostMinor = Math.round(combined);
    }
    take('recordingUrl', str(call.recording_url, 2048));
    callStatus = str(call.call_status, 32) ?? callStatus;
    if (event === 'call_ended' || event === 'call_analyzed') endSeenAt = receivedAt;
    if (event === 'call_started' && p.status === 'registered') p.status = 'ongoing';
  }
  if (p.startedAt && p.status === 'registered') p.status = 'ongoing';
  const ended = endSeenAt !== null || p.endedAt !== null || callStatus === 'ended' || callStatus === 'not_connected' || callStatus === 'error';
  if (ended) {
    p.status = p.analysis ? 'analyzed' : 'ended';
    p.endedAt ??= endSeenAt ?? p.startedAt;
  }
  if (p.durationMs === null && p.startedAt && p.endedAt && ended) p.durationMs = Math.max(0, p.endedAt.getTime() - p.startedAt.getTime());
  p.outcome = outcomeOf(p, ended, callStatus, bookingCount);
  return p;
}

function outcomeOf(p: CallProjection, ended: boolean, callStatus: string | null, bookings: number): CallOutcome {
  if (!ended) return 'ongoing';
  if (callStatus === 'not_connected' || (p.disconnectionReason && NOT_CONNECTED.has(p.disconnectionReason))) return 'not_connected';
  if (bookings > 0) return 'booked';
  if (p.analysis?.inVoicemail || p.disconnectionReason === 'voicemail_reached') return 'voicemail';
  if (callStatus === 'error' || p.disconnectionReason?.startsWith('error')) return 'error';
  return 'completed';
}

/** Whole seconds of the call (a started second counts), and what of it is billable (nothing if never connected). */
export function callSeconds(p: CallProjection): { durationSeconds: number; billableSeconds: number } {
  const durationSeconds = Math.ceil((p.durationMs ?? 0) / 1000);
  return { durationSeconds, billableSeconds: p.outcome === 'not_connected' ? 0 : durationSeconds };
}
