import { Controller, Get, Headers, Inject, Injectable, NotFoundException, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { RECORDING_CHUNK_MAX_BYTES } from '@receptionist/contracts';
import { Public, REDIS } from '@receptionist/service-runtime';
import { CallsClient } from './calls.client';

/** How long a recording link plays: long enough to listen and seek, short enough that a leaked link expires. */
export const RECORDING_LINK_TTL_SECONDS = 15 * 60;
const LINK_KEY = (ticket: string) => `gateway:recording-link:${ticket}`;
const TICKET_RE = /^[A-Za-z0-9_-]{32}$/;

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

/** Streams a stored recording from voice-agent piece by piece, honouring one `Range`. */
@Injectable()
export class RecordingStreamer {
  constructor(private readonly calls: CallsClient) {}

  async stream(companyId: string, callId: string, rangeHeader: string | undefined, reply: FastifyReply): Promise<FastifyReply> {
    const first = await this.calls.ask({ operation: 'recording.read', companyId, callId, offset: 0, length: RECORDING_CHUNK_MAX_BYTES }, 'recording not found');
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
          const part = await calls.ask({ operation: 'recording.read', companyId, callId, offset, length }, 'recording not found');
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

/** Recording links: a random ticket in Redis (shared by every gateway instance) naming one company's call. */
@Injectable()
export class RecordingLinks {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async create(companyId: string, callId: string): Promise<{ url: string; expiresAt: string }> {
    const ticket = randomBytes(24).toString('base64url');
    await this.redis.set(LINK_KEY(ticket), JSON.stringify({ companyId, callId }), 'EX', RECORDING_LINK_TTL_SECONDS);
    return { url: `/api/recordings/${ticket}`, expiresAt: new Date(Date.now() + RECORDING_LINK_TTL_SECONDS * 1000).toISOString() };
  }

  async resolve(ticket: string): Promise<{ companyId: string; callId: string } | null> {
    if (!TICKET_RE.test(ticket)) return null;
    const raw = await this.redis.get(LINK_KEY(ticket));
    return raw ? (JSON.parse(raw) as { companyId: string; callId: string }) : null;
  }
}

/** `GET /api/recordings/:ticket`: the recording a link was made for; an unknown or expired link is 404. */
@Controller('api/recordings')
export class RecordingLinksController {
  constructor(
    private readonly links: RecordingLinks,
    private readonly recordings: RecordingStreamer,
  ) {}

  @Public()
  @Get(':ticket')
  async play(@Param('ticket') ticket: string, @Headers('range') rangeHeader: string | undefined, @Res() reply: FastifyReply) {
    const link = await this.links.resolve(ticket);
    if (!link) throw new NotFoundException('recording link not found or expired');
    return this.recordings.stream(link.companyId, link.callId, rangeHeader, reply);
  }
}
