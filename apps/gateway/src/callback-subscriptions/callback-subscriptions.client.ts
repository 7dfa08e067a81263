import { ConflictException, Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import type { Logger } from 'pino';
import { SyncRequest, Topics, syncReplySchema } from '@receptionist/contracts';
import { LOGGER, MessagingRuntime } from '@receptionist/service-runtime';
import { askOwner, refusedAsBadRequest, refusedField } from '../common/ask-owner';

/** How long the admin API waits for sync (which owns callback subscriptions) before answering 503. */
export const SYNC_REQUEST_TIMEOUT_MS = 5000;

const UNAVAILABLE = 'callback subscriptions are not available right now; try again shortly';

/** Asks sync over request-reply on `sync.request`; the company always comes from the path the AuthGuard checked. */
@Injectable()
export class CallbackSubscriptionsClient {
  constructor(
    private readonly messaging: MessagingRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async ask(request: SyncRequest): Promise<Record<string, unknown>> {
    const reply = await askOwner(this.messaging, this.logger, {
      topic: Topics.syncRequest.name,
      companyId: request.companyId,
      subject: 'subscriptionId' in request ? request.subscriptionId : null,
      request,
      timeoutMs: SYNC_REQUEST_TIMEOUT_MS,
      schema: syncReplySchema,
      unavailable: UNAVAILABLE,
    });
    if (reply.ok) return reply.data ?? {};
    const field = refusedField(reply.detail, 'body');
    if (reply.code === 'invalid_request') throw refusedAsBadRequest(reply.detail, 'body');
    if (reply.code === 'limit_reached') throw new ConflictException({ statusCode: 409, error: 'Conflict', message: reply.detail ?? 'limit reached', field });
    if (reply.code === 'not_found') throw new NotFoundException(field === 'deliveryId' ? 'delivery not found' : 'callback subscription not found');
    throw new ServiceUnavailableException(UNAVAILABLE);
  }
}
