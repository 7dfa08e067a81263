import { Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import type { Logger } from 'pino';
import { BookingRequest, Topics, bookingReplySchema } from '@receptionist/contracts';
import { LOGGER, MessagingRuntime } from '@receptionist/service-runtime';
import { askOwner, refusedAsBadRequest } from '../common/ask-owner';

/** How long the admin API waits for booking (which owns callback requests) before answering 503. */
export const CALLBACKS_REQUEST_TIMEOUT_MS = 5000;

const UNAVAILABLE = 'callback requests are not available right now; try again shortly';

export type CallbackAsk = Extract<BookingRequest, { operation: 'callbacks.list' | 'callback.get' | 'callback.update' }>;

/**
 * Asks booking over request-reply on `booking.request` for a company's callback requests. The company always
 * comes from the path the AuthGuard has checked against the token; booking answers only within it.
 */
@Injectable()
export class CallbackRequestsClient {
  constructor(
    private readonly messaging: MessagingRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async ask(request: CallbackAsk): Promise<Record<string, unknown>> {
    const reply = await askOwner(this.messaging, this.logger, {
      topic: Topics.bookingRequest.name,
      companyId: request.companyId,
      subject: 'callbackRequestId' in request ? request.callbackRequestId : null,
      request,
      timeoutMs: CALLBACKS_REQUEST_TIMEOUT_MS,
      schema: bookingReplySchema,
      unavailable: UNAVAILABLE,
    });
    if (reply.ok) return reply.data ?? {};
    if (reply.code === 'invalid_request') throw refusedAsBadRequest(reply.detail, 'query');
    if (reply.code === 'not_found') throw new NotFoundException('callback request not found');
    throw new ServiceUnavailableException(UNAVAILABLE);
  }
}
