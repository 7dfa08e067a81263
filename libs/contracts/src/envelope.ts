import { randomUUID } from 'node:crypto';
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
