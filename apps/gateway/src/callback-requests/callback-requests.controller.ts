import { BadRequestException, Body, Controller, Get, Injectable, NotFoundException, Param, Patch, Query } from '@nestjs/common';
import { z } from 'zod';
import { callbackStatuses, isoInstant } from '@receptionist/contracts';
import { Actor, CurrentActor, auditBy } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { CurrentPrincipal, Principal, RequireAbility } from '../auth/principal';
import { parseOrBadRequest, UUID_RE, ZodBody } from '../common/zod-body';
import { TenantCompanies } from '../companies/tenant-companies';
import { DescribeQuery } from '../openapi/describe';
import { CallbackRequestsClient } from './callback-requests.client';

const listFields = {
  status: z.enum(callbackStatuses).optional(),
  from: isoInstant.optional(),
  to: isoInstant.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(300).optional(),
};
const fromBeforeTo = (q: { from?: string; to?: string }) => !q.from || !q.to || new Date(q.from) < new Date(q.to);
export const callbackListQuery = z.strictObject(listFields).refine(fromBeforeTo, { message: 'must be after from', path: ['to'] });
/** The token-scoped routes: a platform admin (no company of their own) names the company. */
const scopedListQuery = z
  .strictObject({ ...listFields, companyId: z.string().min(1).max(64).optional() })
  .refine(fromBeforeTo, { message: 'must be after from', path: ['to'] });
const scopedQuery = z.strictObject({ companyId: z.string().min(1).max(64).optional() });

/** `PATCH …/callback-requests/:id`: staff called back (`done`), no call back needed (`closed`), or reopened. */
export const updateCallbackSchema = z
  .object({
    status: z.enum(callbackStatuses),
    note: z.string().trim().min(1).max(1000).nullable().optional(),
  })
  .strict();
export type UpdateCallbackDto = z.infer<typeof updateCallbackSchema>;

/**
 * What both route families do once the company is settled: ask booking (which owns callback requests, over
 * `booking.request`) within that company only, and audit changes.
 */
@Injectable()
export class CallbackRequestsService {
  constructor(
    private readonly callbacks: CallbackRequestsClient,
    private readonly tenants: TenantCompanies,
    private readonly audit: AuditService,
  ) {}

  /** The company the principal may act on (another company's looks like a missing one: 404). */
  company(principal: Principal, companyId: string): Promise<string> {
    return this.tenants.require(principal, companyId);
  }

  async list(companyId: string, q: z.infer<typeof callbackListQuery>) {
    const page = await this.callbacks.ask({ operation: 'callbacks.list', companyId, ...q });
    return { data: page.callbackRequests ?? [], next: page.next ?? null };
  }

  async get(companyId: string, callbackRequestId: string) {
    if (!UUID_RE.test(callbackRequestId)) throw new NotFoundException('callback request not found');
    return (await this.callbacks.ask({ operation: 'callback.get', companyId, callbackRequestId })).callbackRequest;
  }

  async update(actor: Actor, companyId: string, callbackRequestId: string, dto: UpdateCallbackDto) {
    if (!UUID_RE.test(callbackRequestId)) throw new NotFoundException('callback request not found');
    const reply = await this.callbacks.ask({
      operation: 'callback.update',
      companyId,
      callbackRequestId,
      status: dto.status,
      note: dto.note ?? null,
      handledBy: `user:${actor.principal.userId}`,
    });
    const previous = reply.previous as { status: string; note: string | null };
    // After the fact: booking owns the request, the gateway records who changed it.
    await this.audit.record({
      ...auditBy(actor),
      action: 'callback_request.updated',
      companyId,
      targetType: 'callback_request',
      targetId: callbackRequestId,
      changes: { status: { from: previous.status, to: dto.status }, ...(dto.note !== undefined ? { note: { from: previous.note, to: dto.note } } : {}) },
    });
    return reply.callbackRequest;
  }
}

/**
 * Callback requests of one company: what callers wished when the agent could not help (no slot, a policy
 * refusal, the calendar down). The AuthGuard answers 404 to a token of another company before anything here runs,
 * and booking answers only within the path's company.
 */
@Controller('api/v1/companies/:companyId/callback-requests')
export class CallbackRequestsController {
  constructor(private readonly service: CallbackRequestsService) {}

  /** Newest first; `next` is the `cursor` of the following page (null on the last). */
  @Get()
  @RequireAbility('appointments.read')
  @DescribeQuery(callbackListQuery)
  async list(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Query() query: unknown) {
    const q = parseOrBadRequest(callbackListQuery, query, 'query');
    return this.service.list(await this.service.company(principal, companyId), q);
  }

  @Get(':callbackRequestId')
  @RequireAbility('appointments.read')
  async get(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Param('callbackRequestId') callbackRequestId: string) {
    return this.service.get(await this.service.company(principal, companyId), callbackRequestId);
  }

  @Patch(':callbackRequestId')
  @RequireAbility('appointments.manage')
  async update(
    @CurrentActor() actor: Actor,
    @Param('companyId') companyId: string,
    @Param('callbackRequestId') callbackRequestId: string,
    @Body(new ZodBody(updateCallbackSchema)) dto: UpdateCallbackDto,
  ) {
    return this.service.update(actor, await this.service.company(actor.principal, companyId), callbackRequestId, dto);
  }
}

/**
 * The same, scoped by the token's own company (`/api/v1/callback-requests`): a company user's token names its
 * company; a platform admin passes `?companyId=`. Another company's request is a 404.
 */
@Controller('api/v1/callback-requests')
export class TokenCallbackRequestsController {
  constructor(private readonly service: CallbackRequestsService) {}

  private async scope(principal: Principal, queried: string | undefined): Promise<string> {
    const companyId = queried ?? principal.companyId;
    if (!companyId) throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'companyId: required for a platform admin', field: 'companyId' });
    return this.service.company(principal, companyId);
  }

  @Get()
  @RequireAbility('appointments.read')
  @DescribeQuery(scopedListQuery)
  async list(@CurrentPrincipal() principal: Principal, @Query() query: unknown) {
    const { companyId, ...q } = parseOrBadRequest(scopedListQuery, query, 'query');
    return this.service.list(await this.scope(principal, companyId), q);
  }

  @Get(':callbackRequestId')
  @RequireAbility('appointments.read')
  async get(@CurrentPrincipal() principal: Principal, @Param('callbackRequestId') callbackRequestId: string, @Query() query: unknown) {
    const { companyId } = parseOrBadRequest(scopedQuery, query, 'query');
    return this.service.get(await this.scope(principal, companyId), callbackRequestId);
  }

  @Patch(':callbackRequestId')
  @RequireAbility('appointments.manage')
  async update(@CurrentActor() actor: Actor, @Param('callbackRequestId') callbackRequestId: string, @Query() query: unknown, @Body(new ZodBody(updateCallbackSchema)) dto: UpdateCallbackDto) {
    const { companyId } = parseOrBadRequest(scopedQuery, query, 'query');
    return this.service.update(actor, await this.scope(actor.principal, companyId), callbackRequestId, dto);
  }
}
