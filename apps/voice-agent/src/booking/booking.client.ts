import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { BookingReply, BookingRequest, Topics, bookingReplySchema } from '@receptionist/contracts';
import { LOGGER, MessagingRuntime } from '@receptionist/service-runtime';

/** Time kept back from the caller's deadline for our own reply to travel back to the gateway. */
export const REPLY_MARGIN_MS = 400;
/** Below this there is no point asking booking at all. */
const MIN_BOOKING_BUDGET_MS = 100;
/** When a request carries no deadline header. */
export const DEFAULT_BUDGET_MS = 7000;

/** Booking did not answer in time, could not be asked, or answered with something unreadable. */
export class BookingUnavailableError extends Error {
  override readonly name = 'BookingUnavailableError';
  constructor(readonly reason: 'timeout' | 'error' | 'no_time' | 'bad_reply') {
    super(`booking unavailable (${reason})`);
  }
}

/**
 * Asks booking over request-reply on `booking.request`, always within the voice request's own deadline so
 * the caller gets an answer (or the spoken fallback) before the gateway gives up.
 */
@Injectable()
export class BookingClient {
  constructor(
    private readonly messaging: MessagingRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Milliseconds booking may take for a request answered by `deadline` (epoch ms). */
  static budget(deadline: number, now = Date.now()): number {
    return (deadline > 0 ? deadline : now + DEFAULT_BUDGET_MS) - now - REPLY_MARGIN_MS;
  }

  async ask(request: BookingRequest, deadline: number, options: { maxMs?: number } = {}): Promise<BookingReply> {
    const timeout = Math.min(BookingClient.budget(deadline), options.maxMs ?? Number.POSITIVE_INFINITY);
    if (timeout < MIN_BOOKING_BUDGET_MS) throw new BookingUnavailableError('no_time');
    let raw: unknown;
    try {
      raw = await this.messaging.client.request(
        Topics.bookingRequest.name,
        { key: request.companyId, companyId: request.companyId, subject: request.callId ?? null, data: request },
        Math.floor(timeout),
      );
    } catch (error) {
      const e = error as Error;
      this.logger.warn({ err: { name: e.name, message: e.message }, operation: request.operation, companyId: request.companyId }, 'booking request failed');
      throw new BookingUnavailableError(e.name === 'RequestTimeoutError' ? 'timeout' : 'error');
    }
    const parsed = bookingReplySchema.safeParse(raw);
    if (!parsed.success) {
      this.logger.error({ operation: request.operation, companyId: request.companyId }, 'booking answered with an unreadable reply');
      throw new BookingUnavailableError('bad_reply');
    }
    if (!parsed.data.ok && parsed.data.detail) {
      // Developer detail: logged, never spoken.
      this.logger.info({ operation: request.operation, code: parsed.data.code, detail: parsed.data.detail }, 'booking refused');
    }
    return parsed.data;
  }
}
