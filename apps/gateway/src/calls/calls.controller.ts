import { Controller, Get, Headers, HttpCode, NotFoundException, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { callOutcomes, isoInstant, toE164 } from '@receptionist/contracts';
import { CurrentPrincipal, Principal, RequireAbility } from '../auth/principal';
import { parseOrBadRequest } from '../common/zod-body';
import { DescribeQuery } from '../openapi/describe';
import { TenantCompanies } from '../companies/tenant-companies';
import { CallsClient } from './calls.client';
import { RecordingLinks, RecordingStreamer } from './recordings';

const listQuery = z
  .object({
    from: isoInstant.optional(),
    to: isoInstant.optional(),
    number: z
      .string()
      .max(40)
      .transform((v, ctx) => {
        const e164 = toE164(v);
        if (!e164) ctx.addIssue({ code: 'custom', message: 'must be a phone number such as +4930123456' });
        return e164 ?? v;
      })
      .optional(),
    outcome: z.enum(callOutcomes).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().max(300).optional(),
  })
  .refine((q) => !q.from || !q.to || new Date(q.from) < new Date(q.to), { message: 'must be after from', path: ['to'] });

export const CALL_ID_RE = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Call records of one company (owned by voice-agent, asked over `voice.calls.request`): list with filters, one
 * call with transcript and analysis, and its recording streamed piece by piece. The AuthGuard answers 404 to a
 * token of another company before anything here runs; voice-agent answers only within the path's company.
 */
@Controller('api/v1/companies/:companyId/calls')
export class CallsController {
  constructor(
    private readonly calls: CallsClient,
    private readonly tenants: TenantCompanies,
    private readonly recordings: RecordingStreamer,
    private readonly links: RecordingLinks,
  ) {}

  /** The company the principal may act on (another company's looks like a missing one: 404). */
  private company(principal: Principal, companyId: string): Promise<string> {
    return this.tenants.require(principal, companyId);
  }

  @Get()
  @RequireAbility('calls.read')
  @DescribeQuery(listQuery)
  async list(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Query() query: unknown) {
    const q = parseOrBadRequest(listQuery, query, 'query');
    const id = await this.company(principal, companyId);
    const page = await this.calls.ask({ operation: 'calls.list', companyId: id, ...q });
    return { data: page.calls ?? [], next: page.next ?? null };
  }

  @Get(':callId')
  @RequireAbility('calls.read')
  async get(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Param('callId') callId: string) {
    if (!CALL_ID_RE.test(callId)) throw new NotFoundException('call not found');
    const id = await this.company(principal, companyId);
    return this.calls.ask({ operation: 'call.get', companyId: id, callId });
  }

  /** The stored recording (audio/wav), `Range` supported; its SHA-256 in `ETag` and `Repr-Digest`. */
  @Get(':callId/recording')
  @RequireAbility('calls.read')
  async recording(
    @CurrentPrincipal() principal: Principal,
    @Param('companyId') companyId: string,
    @Param('callId') callId: string,
    @Headers('range') rangeHeader: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    if (!CALL_ID_RE.test(callId)) throw new NotFoundException('call not found');
    const id = await this.company(principal, companyId);
    return this.recordings.stream(id, callId, rangeHeader, reply);
  }

  /**
   * A short-lived link to the recording for an `<audio>` element, which cannot send an Authorization header:
   * `{url, expiresAt}`; the link plays (with `Range`) only that call's recording, for RECORDING_LINK_TTL_SECONDS.
   */
  @Post(':callId/recording-link')
  @HttpCode(201)
  @RequireAbility('calls.read')
  async recordingLink(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Param('callId') callId: string) {
    if (!CALL_ID_RE.test(callId)) throw new NotFoundException('call not found');
    const id = await this.company(principal, companyId);
    // the call must exist in this company before a link is handed out
    await this.calls.ask({ operation: 'call.get', companyId: id, callId });
    return this.links.create(id, callId);
  }
}
