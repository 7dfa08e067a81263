import { z } from 'zod';
import { e164, isoInstant } from './common';

export const callStartedSchema = z.object({
  callId: z.string().min(1),
  agentId: z.string().min(1),
  fromNumber: e164.nullable(),
  toNumber: e164.nullable(),
  direction: z.enum(['inbound', 'outbound']),
  startedAt: isoInstant,
});

export const callCompletedSchema = z.object({
  callId: z.string().min(1),
  agentId: z.string().min(1),
  fromNumber: e164.nullable(),
  toNumber: e164.nullable(),
  direction: z.enum(['inbound', 'outbound']),
  startedAt: isoInstant,
  endedAt: isoInstant,
  durationSeconds: z.number().int().min(0),
  billableSeconds: z.number().int().min(0),
  disconnectionReason: z.string().nullable(),
  bookingIds: z.array(z.string()),
});

export const callAnalyzedSchema = z.object({
  callId: z.string().min(1),
  summary: z.string().nullable(),
  sentiment: z.string().nullable(),
  successful: z.boolean().nullable(),
  customData: z.record(z.string(), z.unknown()).default({}),
});

/** Retell call events the platform keeps (the rest are acknowledged and counted, not forwarded). */
export const retellCallEvents = ['call_started', 'call_ended', 'call_analyzed', 'transcript_updated'] as const;

/**
 * A Retell call webhook as received by the gateway (signature checked), forwarded to voice-agent, which owns
 * the call record. `call` is Retell's call object as sent; the envelope id is derived from event + call id
 * (+ body for repeated events), so a redelivered webhook is the same message and has no second effect.
 */
export const retellCallWebhookSchema = z.object({
  event: z.enum(retellCallEvents),
  callId: z.string().min(1),
  agentId: z.string().nullable(),
  receivedAt: isoInstant,
  call: z.record(z.string(), z.unknown()),
});
