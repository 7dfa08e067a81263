import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';

/** The six services; `source` of every envelope is one of them (or a simulator / tool in local runs). */
export const SERVICE_NAMES = ['gateway', 'voice-agent', 'booking', 'billing', 'notification', 'sync'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * One envelope for every message on Kafka (CloudEvents-aligned). `source` + `id` identify a message;
 * consumers deduplicate on `id` (a uuid, unique across sources).
 */
export const envelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().min(1).regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/, 'must look like domain.event'),
  source: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
  companyId: z.string().min(1).nullable(),
  subject: z.string().min(1).nullable(),
  schemaVersion: z.number().int().min(1),
  data: z.unknown(),
});

export type Envelope<T = unknown> = Omit<z.infer<typeof envelopeSchema>, 'data'> & { data: T };

export interface NewEnvelope<T> {
  type: string;
  source: string;
  companyId: string | null;
  subject: string | null;
  data: T;
  schemaVersion?: number;
  id?: string;
  time?: Date;
}

export function createEnvelope<T>(input: NewEnvelope<T>): Envelope<T> {
  return {
    id: input.id ?? randomUUID(),
    type: input.type,
    source: input.source,
    time: (input.time ?? new Date()).toISOString(),
    companyId: input.companyId,
    subject: input.subject,
    schemaVersion: input.schemaVersion ?? 1,
    data: input.data,
  };
}

/**
 * A message id derived from what identifies the fact (a provider's event id, a call id and event, …), so a webhook
 * delivered again becomes the same message and every consumer's inbox drops it. UUID layout (version 5 and RFC 4122
 * variant bits) over the SHA-256 of the identity's parts, in order.
 */
export function messageIdFrom(...identity: (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of identity) hash.update(part);
  const h = hash.digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The id of the callback wish a voice function's request gives rise to (the gateway's spoken fallback, voice-agent's
 * own "we'll call you back"): derived from the request key, so every path recording it for the same request, and
 * Retell's retries of the tool call, name one wish, which booking records once.
 */
export function callbackWishIdFor(requestKey: string): string {
  return messageIdFrom(`callback-wish:${requestKey}`);
}
