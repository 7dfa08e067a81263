import { Controller, Get, Headers, NotFoundException, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { RECORDING_CHUNK_MAX_BYTES, callOutcomes, isoInstant, toE164 } from '@receptionist/contracts';
import { CurrentPrincipal, Principal, RequireAbility } from '../auth/principal';
import { parseOrBadRequest } from '../common/zod-body';
import { TenantCompanies } from '../companies/tenant-companies';
import { CallsClient } from './calls.client';

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

const CALL_ID_RE = /^[A-Za-z0-9_.:-]{1,128}$/;

/** One `bytes=a-b` range (what audio players send); anything else is served whole. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return 'unsatisfiable';
  return { start, end };
}

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
  ) {}

  /** The company the principal may act on (another company's looks like a missing one: 404). */
  private company(principal: Principal, companyId: string): Promise<string> {
    return this.tenants.require(principal, companyId);
  }

  @Get()
  @RequireAbility('calls.read')
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
    const first = await this.calls.ask({ operation: 'recording.read', companyId: id, callId, offset: 0, length: RECORDING_CHUNK_MAX_BYTES }, 'recording not found');
    const size = Number(first.sizeBytes);
    const sha256 = String(first.sha256 ?? '');
    const range = parseRange(rangeHeader, size);
    if (range === 'unsatisfiable') {
      return reply.code(416).header('content-range', `bytes */${size}`).send({ statusCode: 416, error: 'Range Not Satisfiable', message: 'range: outside the recording' });
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    const firstChunk = Buffer.from(String(first.base64 ?? ''), 'base64');
    const calls = this.calls;
    async function* pieces(): AsyncGenerator<Buffer> {
      let offset = start;
      while (offset <= end) {
        const length = Math.min(RECORDING_CHUNK_MAX_BYTES, end - offset + 1);
        let chunk: Buffer;
        if (offset + length <= firstChunk.length) chunk = firstChunk.subarray(offset, offset + length);
        else {
          const part = await calls.ask({ operation: 'recording.read', companyId: id, callId, offset, length }, 'recording not found');
          chunk = Buffer.from(String(part.base64 ?? ''), 'base64');
        }
        if (chunk.length === 0) throw new Error('recording ended early');
        offset += chunk.length;
        yield chunk;
      }
    }
    reply
      .code(range ? 206 : 200)
      .header('content-type', String(first.contentType ?? 'audio/wav'))
      .header('content-length', String(size === 0 ? 0 : end - start + 1))
      .header('accept-ranges', 'bytes')
      .header('cache-control', 'private, no-store')
      .header('content-disposition', `inline; filename="${callId.replace(/[^A-Za-z0-9_.-]/g, '_')}.wav"`);
    if (/^[0-9a-f]{64}$/.test(sha256)) {
      reply.header('etag', `"sha256-${sha256}"`).header('repr-digest', `sha-256=:${Buffer.from(sha256, 'hex').toString('base64')}:`);
    }
    if (range) reply.header('content-range', `bytes ${start}-${end}/${size}`);
    if (size === 0) return reply.send(Buffer.alloc(0));
    return reply.send(Readable.from(pieces()));
  }
}
