import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import {
  Envelope,
  PrivacyExportReply,
  PrivacyService,
  PrivacySubject,
  Topics,
  privacyErasureRequestedSchema,
  privacyExportRequestSchema,
  type PrivacyErasureRequested,
} from '@receptionist/contracts';
import { Inbox, NO_REPLY, Outbox } from '@receptionist/messaging';

/** What each service does with a caller's data; both scoped by `subject.companyId`. */
export interface PrivacyStore {
  readonly service: PrivacyService;
  export(subject: PrivacySubject): Promise<NonNullable<PrivacyExportReply['data']>>;
  /**
   * Side effects outside the database (the recording store) run first and must be safe to repeat: a crash after
   * them and before the database commit redelivers the request, which finds the same rows and repeats them.
   */
  beforeErase?(subject: PrivacySubject): Promise<void>;
  /** Anonymises the caller's rows in the inbox transaction; answers counts per kind. */
  erase(manager: EntityManager, subject: PrivacySubject): Promise<Record<string, number>>;
}

const ERASED_TOPIC: Record<PrivacyService, string> = {
  booking: Topics.privacyErasedBooking.name,
  'voice-agent': Topics.privacyErasedVoiceAgent.name,
  notification: Topics.privacyErasedNotification.name,
  billing: Topics.privacyErasedBilling.name,
  sync: Topics.privacyErasedSync.name,
};

/** Answers a `privacy.export.<service>` request: validated, within the envelope's company, another instance's company unanswered. */
export async function answerPrivacyExport(
  store: PrivacyStore,
  envelope: Envelope,
  serves: (companyId: string | null) => boolean,
  logger: Logger,
): Promise<PrivacyExportReply | typeof NO_REPLY> {
  if (envelope.companyId && !serves(envelope.companyId)) return NO_REPLY;
  const parsed = privacyExportRequestSchema.safeParse(envelope.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, code: 'invalid_request', detail: `${issue.path.join('.') || '(root)'}: ${issue.message}` };
  }
  if (envelope.companyId !== parsed.data.companyId) return { ok: false, code: 'invalid_request', detail: 'companyId: does not match the envelope' };
  try {
    return { ok: true, data: await store.export(parsed.data) };
  } catch (error) {
    logger.error({ err: error, companyId: parsed.data.companyId }, `${store.service}: privacy export failed`);
    return { ok: false, detail: 'internal error' };
  }
}

/**
 * Applies `privacy.erasure.requested` once (inbox) and publishes `privacy.erased.<service>` from the outbox in the
 * same transaction, so the gateway never sees "done" for a change that did not commit, and a crash before the
 * commit redelivers the request.
 */
export async function applyPrivacyErasure(
  store: PrivacyStore,
  deps: { inbox: Inbox; outbox: Outbox; wake: () => void; serves: (companyId: string | null) => boolean; logger: Logger },
  envelope: Envelope,
): Promise<void> {
  const request: PrivacyErasureRequested = privacyErasureRequestedSchema.parse(envelope.data);
  if (!deps.serves(request.companyId)) return;
  await store.beforeErase?.(request);
  const handled = await deps.inbox.handleOnce(`${store.service}.privacy-erasure`, envelope, async (manager) => {
    const counts = await store.erase(manager, request);
    await deps.outbox.add(manager, {
      topic: ERASED_TOPIC[store.service],
      key: request.customerId,
      companyId: request.companyId,
      subject: request.erasureId,
      data: { erasureId: request.erasureId, companyId: request.companyId, customerId: request.customerId, service: store.service, counts, erasedAt: new Date().toISOString() },
    });
    return counts;
  });
  deps.wake();
  if (!handled.duplicate) deps.logger.info({ erasureId: request.erasureId, companyId: request.companyId, counts: handled.result }, `${store.service}: caller's data erased`);
}
