import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import path from 'node:path';
import { SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { GatewayEnv } from '../config';
import { CONSOLE_CSP, ConsoleFiles, encodedBody } from './console-files';

/** The two browser apps of one build: the business console and the customers' portal. */
export const CONSOLE_PREFIXES = ['/console', '/portal'] as const;

/**
 * Serves the web console and the customer portal (apps/console, built to CONSOLE_DIR) from the gateway's own
 * origin, so the pages call the API without CORS. Plain Fastify routes, not Nest controllers: static files
 * need no principal and must not count against the API's rate limits.
 */
@Module({})
export class ConsoleModule implements OnModuleInit {
  constructor(
    private readonly adapter: HttpAdapterHost,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayEnv,
  ) {}

  onModuleInit(): void {
    const files = new ConsoleFiles(path.resolve(this.config.CONSOLE_DIR));
    const fastify = this.adapter.httpAdapter.getInstance<FastifyInstance>();
    const serve = async (request: FastifyRequest, reply: FastifyReply) => {
      const { pathname } = new URL(request.url, 'http://gateway');
      const prefix = CONSOLE_PREFIXES.find((p) => pathname === p || pathname.startsWith(`${p}/`))!;
      if (pathname === prefix) return reply.redirect(`${prefix}/`, 301);
      reply.header('content-security-policy', CONSOLE_CSP).header('x-frame-options', 'DENY');
      if (!files.built()) {
        return reply.code(503).type('text/plain; charset=utf-8').send('The console is not built yet: run `npm run console:build`.');
      }
      let relative: string;
      try {
        relative = decodeURIComponent(pathname.slice(prefix.length + 1));
      } catch {
        return reply.code(400).type('text/plain; charset=utf-8').send('Malformed path');
      }
      const file = files.resolve(relative);
      if (!file) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
      const { body, encoding } = encodedBody(file, request.headers['accept-encoding']);
      reply.type(file.contentType).header('cache-control', file.cacheControl).header('vary', 'accept-encoding');
      if (encoding) reply.header('content-encoding', encoding);
      return reply.send(body);
    };
    for (const prefix of CONSOLE_PREFIXES) {
      fastify.get(prefix, serve);
      fastify.get(`${prefix}/*`, serve);
    }
  }
}
