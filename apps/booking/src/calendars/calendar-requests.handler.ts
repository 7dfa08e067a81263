import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { CalendarReply, Envelope, Topics, calendarRequestSchema } from '@receptionist/contracts';
import { NO_REPLY } from '@receptionist/messaging';
import { LOGGER, OnRequest } from '@receptionist/service-runtime';
import { CalcomUnavailableError } from '../calcom';
import { CalendarConnectionsService, CalendarFailure } from '../calcom/calendar-connections.service';
import { CompanyFilter } from '../common/company-filter';
import { CalendarReconciler } from './calendar-reconciler';

/** The responder of `calendar.request` (admin API and sync): a company's calendar connection and reconciliation pages. */
@Injectable()
export class CalendarRequestsHandler {
  constructor(
    private readonly connections: CalendarConnectionsService,
    private readonly reconciler: CalendarReconciler,
    private readonly companies: CompanyFilter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnRequest(Topics.calendarRequest.name)
  async onRequest(envelope: Envelope): Promise<CalendarReply | typeof NO_REPLY> {
    if (envelope.companyId && !this.companies.serves(envelope.companyId)) return NO_REPLY;
    const parsed = calendarRequestSchema.safeParse(envelope.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, code: 'invalid_request', detail: `${issue.path.join('.') || '(root)'}: ${issue.message}` };
    }
    const r = parsed.data;
    if (!this.companies.serves(r.companyId)) return NO_REPLY;
    if (envelope.companyId && envelope.companyId !== r.companyId) return { ok: false, code: 'invalid_request', detail: 'companyId: does not match the envelope' };
    try {
      switch (r.operation) {
        case 'connection.get':
          return { ok: true, data: await this.connections.get(r.companyId) };
        case 'connection.put':
          return { ok: true, data: await this.connections.put(r.companyId, r.connection) };
        case 'connection.delete':
          return { ok: true, data: await this.connections.remove(r.companyId) };
        case 'eventTypes.check':
          return { ok: true, data: { problems: await this.connections.checkEventTypes(r.companyId, r.eventTypeIds) } };
        case 'reconcile.pages':
          return { ok: true, data: await this.reconciler.pages(r.companyId, r.since, r.skip, r.maxRequests) };
      }
    } catch (error) {
      if (error instanceof CalendarFailure) return { ok: false, code: error.code, detail: error.detail };
      if (error instanceof CalcomUnavailableError) return { ok: false, code: 'calendar_unavailable', detail: `${error.operation}: ${error.reason}` };
      if (error instanceof Error && error.name === 'CalcomApiError') return { ok: false, code: 'calendar_refused', detail: error.message.slice(0, 300) };
      this.logger.error({ err: error, operation: r.operation, companyId: r.companyId }, 'calendar request failed unexpectedly');
      return { ok: false, detail: 'internal error' };
    }
  }
}
