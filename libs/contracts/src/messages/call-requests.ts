import { z } from 'zod';
import { e164, isoInstant } from './common';

/**
 * The gateway's admin API asks voice-agent (which owns call records) over request-reply on `voice.calls.request`.
 * `companyId` is set by the gateway from the authenticated principal and the path, never from a body; every
 * operation is answered only within that company, so another company's call is simply `not_found`.
 */
const base = { companyId: z.string().min(1) };

/**
 * What became of a call, derived by voice-agent: `ongoing` (not ended yet), `not_connected` (never answered),
 * `booked` (an appointment was booked in it), `voicemail`, `error` (ended by a fault) or `completed`.
 */
export const callOutcomes = ['ongoing', 'not_connected', 'booked', 'voicemail', 'error', 'completed'] as const;
export type CallOutcome = (typeof callOutcomes)[number];

/** Largest piece of a recording one reply carries (base64 in JSON stays well below Kafka's 1 MiB message limit). */
export const RECORDING_CHUNK_MAX_BYTES = 512 * 1024;

/** Days a company keeps recordings or transcripts (issue 16); null: no limit. */
export const retentionDays = z.number().int().min(1).max(3650).nullable();

export const voiceCallsRequestSchema = z.discriminatedUnion('operation', [
  /** Calls newest first; `cursor` is the `next` of the previous page. */
  z.object({
    operation: z.literal('calls.list'),
    ...base,
    from: isoInstant.optional(),
    to: isoInstant.optional(),
    /** Either party's number (the caller's or the company's). */
    number: e164.optional(),
    outcome: z.enum(callOutcomes).optional(),
    limit: z.number().int().min(1).max(100).default(25),
    cursor: z.string().max(300).optional(),
  }),
  /** One call with transcript, analysis, functions called, bookings and recording metadata. */
  z.object({ operation: z.literal('call.get'), ...base, callId: z.string().min(1).max(128) }),
  /** A piece of the stored recording (base64); the reply also gives the total size, checksum and content type. */
  z.object({
    operation: z.literal('recording.read'),
    ...base,
    callId: z.string().min(1).max(128),
    offset: z.number().int().min(0).default(0),
    length: z.number().int().min(1).max(RECORDING_CHUNK_MAX_BYTES).default(RECORDING_CHUNK_MAX_BYTES),
  }),
  /** The company's retention of recordings and transcripts (days; null: kept). */
  z.object({ operation: z.literal('retention.get'), ...base }),
  z.object({ operation: z.literal('retention.set'), ...base, recordingsDays: retentionDays, transcriptsDays: retentionDays }),
]);
export type VoiceCallsRequest = z.input<typeof voiceCallsRequestSchema>;

export const voiceCallsErrorCodes = ['invalid_request', 'not_found', 'recording_unavailable'] as const;

export const voiceCallsReplySchema = z.object({
  ok: z.boolean(),
  code: z.enum(voiceCallsErrorCodes).optional(),
  detail: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type VoiceCallsReply = z.infer<typeof voiceCallsReplySchema>;
