import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Envelope, SyncReply, Topics, syncRequestSchema } from '@receptionist/contracts';
import { LOGGER, OnRequest } from '@receptionist/service-runtime';
import { ReconciliationService } from '../reconciliation/reconciliation.service';
import { CallbackFailure, CallbackSubscriptionsService } from './callback-subscriptions.service';

/**
 * The responder of `sync.request` (the gateway's admin API). Always answers a SyncReply; every operation is scoped
 * by the request's `companyId`, which must match the envelope's.
 */
@Injectable()
export class SyncRequestsHandler {
  constructor(
    private readonly subscriptions: CallbackSubscriptionsService,
    private readonly reconciliation: ReconciliationService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnRequest(Topics.syncRequest.name)
  async onRequest(envelope: Envelope): Promise<SyncReply> {
    const parsed = syncRequestSchema.safeParse(envelope.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, code: 'invalid_request', detail: `${issue.path.join('.') || '(root)'}: ${issue.message}` };
    }
    const r = parsed.data;
    if (envelope.companyId && envelope.companyId !== r.companyId) return { ok: false, code: 'invalid_request', detail: 'companyId: does not match the envelope' };
    try {
      switch (r.operation) {
        case 'subscription.create':
          return { ok: true, data: await this.subscriptions.create(r) };
        case 'subscriptions.list':
          return { ok: true, data: await this.subscriptions.list(r.companyId) };
        case 'subscription.delete':
          return { ok: true, data: await this.subscriptions.delete(r.companyId, r.subscriptionId) };
        case 'subscription.rotateSecret':
          return { ok: true, data: await this.subscriptions.rotateSecret(r.companyId, r.subscriptionId, r.oldSecretValidHours) };
        case 'subscription.test':
          return { ok: true, data: await this.subscriptions.test(r.companyId, r.subscriptionId) };
        case 'deliveries.list':
          return { ok: true, data: await this.subscriptions.deliveries(r.companyId, r.subscriptionId, r) };
        case 'delivery.retry':
          return { ok: true, data: await this.subscriptions.retry(r.companyId, r.subscriptionId, r.deliveryId) };
        case 'reconciliation.start':
          return { ok: true, data: await this.reconciliation.start(r.companyId) };
        case 'reconciliations.list':
          return { ok: true, data: await this.reconciliation.list(r.companyId, r.limit) };
      }
    } catch (error) {
      if (error instanceof CallbackFailure) return { ok: false, code: error.code, detail: error.detail };
      this.logger.error({ err: error, operation: r.operation, companyId: r.companyId }, 'sync request failed unexpectedly');
      return { ok: false, detail: 'internal error' };
    }
  }
}
