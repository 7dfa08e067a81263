import { z } from 'zod';

/**
 * A caller's personal data across the services (issue 16): the gateway asks every service for an export
 * (request-reply on `privacy.export.<service>`) and announces an erasure once (`privacy.erasure.requested`, from
 * its outbox); each service answers the erasure with its own `privacy.erased.<service>` fact from its outbox, in
 * the transaction that anonymised its data, so the gateway shows an erasure as done only when every service is.
 *
 * Services find a caller by what they hold: booking by customer id, voice-agent and notification by phone number,
 * notification and sync by appointment id, billing by call id. The gateway gathers these identifiers first (from
 * booking and voice-agent) and sends them along.
 */
export const PRIVACY_SERVICES = ['booking', 'voice-agent', 'notification', 'billing', 'sync'] as const;
export type PrivacyService = (typeof PRIVACY_SERVICES)[number];

export const privacySubjectSchema = z.object({
  companyId: z.string().min(1),
  customerId: z.uuid(),
  phones: z.array(z.string().min(1).max(32)).max(20),
  emails: z.array(z.string().min(1).max(254)).max(20),
  appointmentIds: z.array(z.string().min(1).max(64)).max(10_000),
  callIds: z.array(z.string().min(1).max(128)).max(10_000),
});
export type PrivacySubject = z.infer<typeof privacySubjectSchema>;

export const privacyExportRequestSchema = privacySubjectSchema;

/** A service's part of an export: named sections of records (JSON), and for voice-agent the recordings. */
export interface PrivacyExportReply {
  ok: boolean;
  code?: string;
  detail?: string;
  data?: { service: PrivacyService; sections: Record<string, unknown[]>; files?: PrivacyExportFile[] };
}
export interface PrivacyExportFile {
  path: string;
  contentType: string;
  sizeBytes: number;
  /** A recording's call: the gateway reads its bytes in pieces (`recording.read`) into `contentBase64`. */
  callId?: string;
  contentBase64?: string;
}

export const privacyErasureRequestedSchema = privacySubjectSchema.extend({
  erasureId: z.uuid(),
  requestedAt: z.iso.datetime(),
});
export type PrivacyErasureRequested = z.infer<typeof privacyErasureRequestedSchema>;

export const privacyErasedSchema = z.object({
  erasureId: z.uuid(),
  companyId: z.string().min(1),
  customerId: z.uuid(),
  service: z.enum(PRIVACY_SERVICES),
  /** Rows (or objects) changed per kind, e.g. {calls: 2, recordings: 1}; kept ones are named too (billing). */
  counts: z.record(z.string(), z.number().int().nonnegative()),
  erasedAt: z.iso.datetime(),
});
export type PrivacyErased = z.infer<typeof privacyErasedSchema>;
