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
