import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Principal, RequireAbility } from '../auth/principal';
import { TenantCompanies } from '../companies/tenant-companies';
import { LiveEventsHub } from './live-events.hub';

/** Keeps proxies from closing an idle stream and tells a browser the connection is still alive. */
export const LIVE_KEEPALIVE_MS = 25_000;

/**
 * `GET /api/v1/companies/:companyId/live`: server-sent events for the console — `event: <fact type>` with
 * `{type, subject, time}` for each call, booking and balance fact of the company, as they happen. Read with
 * fetch (the token goes in the Authorization header; EventSource cannot send one). Another company's path is 404.
 */
@Controller('api/v1/companies/:companyId/live')
export class LiveEventsController {
  constructor(
    private readonly hub: LiveEventsHub,
    private readonly tenants: TenantCompanies,
  ) {}

  @Get()
  @RequireAbility('calls.read')
  async stream(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const id = await this.tenants.require(principal, companyId);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    raw.write(': connected\n\n');
    const keepalive = setInterval(() => raw.write(': keep-alive\n\n'), LIVE_KEEPALIVE_MS);
    const unsubscribe = this.hub.subscribe(id, {
      send: (event) => raw.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`),
      end: () => {
        clearInterval(keepalive);
        raw.end();
      },
    });
    request.raw.on('close', () => {
      clearInterval(keepalive);
      unsubscribe();
    });
  }
}
