import { Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import type { Logger } from 'pino';
import { CalendarRequest, SyncRequest, Topics, calendarReplySchema, syncReplySchema } from '@receptionist/contracts';
import { LOGGER, MessagingRuntime } from '@receptionist/service-runtime';
import { askOwner, refusedAsBadRequest } from '../common/ask-owner';

/** Checking a key asks the company's calendar too, so booking gets longer than a plain read. */
export const CALENDAR_REQUEST_TIMEOUT_MS = 15_000;

/** Asks booking (connections) over `calendar.request` and sync (reconciliation runs) over `sync.request`. */
@Injectable()
export class CalendarClient {
  constructor(
    private readonly messaging: MessagingRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async booking(request: CalendarRequest): Promise<Record<string, unknown>> {
    const reply = await askOwner(this.messaging, this.logger, {
      topic: Topics.calendarRequest.name,
      companyId: request.companyId,
      subject: null,
      request,
      timeoutMs: CALENDAR_REQUEST_TIMEOUT_MS,
      schema: calendarReplySchema,
      unavailable: 'the calendar connection is not available right now; try again shortly',
    });
    if (reply.ok) return reply.data ?? {};
    if (reply.code === 'invalid_request') throw refusedAsBadRequest(reply.detail, 'body');
    if (reply.code === 'not_found') throw new NotFoundException('calendar connection not found');
    throw new ServiceUnavailableException(reply.detail ?? 'the calendar is not available right now');
  }

  async sync(request: SyncRequest): Promise<Record<string, unknown>> {
    const reply = await askOwner(this.messaging, this.logger, {
      topic: Topics.syncRequest.name,
      companyId: request.companyId,
      subject: null,
      request,
      timeoutMs: 5000,
      schema: syncReplySchema,
      unavailable: 'reconciliation is not available right now; try again shortly',
    });
    if (reply.ok) return reply.data ?? {};
    if (reply.code === 'invalid_request') throw refusedAsBadRequest(reply.detail, 'body');
    throw new ServiceUnavailableException('reconciliation is not available right now; try again shortly');
  }
}
