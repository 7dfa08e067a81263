import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyRequest } from 'fastify';
import { parse as parseQueryString } from 'node:querystring';
import type { Logger } from 'pino';
import { GatewayExceptionFilter } from './exception.filter';

export interface HardeningOptions {
  /** Exact browser origins allowed by CORS (CORS_ORIGINS); empty: no cross-origin browser access. */
  corsOrigins: string[];
  logger: Logger;
}

/** One media type with optional parameters; anything else (lists, duplicates folded into one header) is refused. */
const TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]+";
const SINGLE_MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|"[^"\\\\]*"))*[ \\t]*$`);

function checkContentType(request: FastifyRequest): void {
  const header = request.headers['content-type'];
  if (header === undefined) return;
  if (typeof header !== 'string' || !SINGLE_MEDIA_TYPE.test(header)) {
    throw new UnsupportedMediaTypeException('Content-Type must be exactly one media type');
  }
  const [type, ...params] = header.split(';').map((p) => p.trim().toLowerCase());
  const charsets = params.filter((p) => p.startsWith('charset='));
  if (charsets.length > 1) throw new UnsupportedMediaTypeException('Content-Type has more than one charset');
  if (type === 'application/json' && charsets.length === 1 && !/^charset="?utf-8"?$/.test(charsets[0])) {
    throw new UnsupportedMediaTypeException('JSON bodies must be UTF-8');
  }
}

/**
 * Applies the gateway's HTTP hardening to the app before it listens (bootstrapService's `configure` hook):
 * - security headers (@fastify/helmet) with a CSP for an API: nothing may be loaded, framed or submitted
 *   (`default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`), HSTS, nosniff,
 *   no referrer; an HTML page served later (e.g. Swagger UI) needs its own, looser policy on its route;
 * - CORS only for the exact origins in CORS_ORIGINS (none by default); no credentials (tokens go in the
 *   Authorization header, never cookies); the RateLimit-*, Retry-After and x-trace-id headers are exposed;
 * - strict bodies: the body limit stays bootstrap's 1 MiB (413 above it) except on routes that declare their own
 *   with `@RouteConfig({ bodyLimit })` (Retell's call webhooks: RETELL_WEBHOOK_BODY_LIMIT); a Content-Type must be a single media
 *   type (no lists or folded duplicates, JSON only in UTF-8), else 415; JSON must parse (prototype-poisoning
 *   keys refused) and be an object at the top level, else 400 with a plain message (a route declaring
 *   `@RouteConfig({ unreadableBodyAnswered: true })`, the voice functions, gets `{}` and the request is marked
 *   `unreadableBody` to answer itself); the raw body is kept for
 *   webhook signature checks;
 * - a global exception filter: `{statusCode, error, message, traceId}` and `x-trace-id`, never a stack.
 */
/** Set by the JSON parser on routes declaring `unreadableBodyAnswered`: the body was not a JSON object. */
export type UnreadableBodyRequest = { unreadableBody?: boolean };

export async function applyHardening(app: NestFastifyApplication, options: HardeningOptions): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();

  await app.register(helmet as never, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
  } as never);

  await app.register(cors as never, {
    origin: options.corsOrigins.length > 0 ? options.corsOrigins : false,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'traceparent', 'tracestate'],
    exposedHeaders: ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy', 'Retry-After', 'x-trace-id'],
    credentials: false,
    maxAge: 600,
  } as never);

  fastify.addHook('onRequest', async (request) => checkContentType(request));
  // A route's own limit (fastify's route option, which wins over the parsers' limit) from its Nest route config.
  fastify.addHook('onRoute', (route) => {
    const declared = (route.config as { bodyLimit?: unknown } | undefined)?.bodyLimit;
    if (typeof declared === 'number') route.bodyLimit = declared;
  });

  // Our own parsers replace Nest's defaults (which then registers none): same raw-body capture and limit.
  const bodyLimit = fastify.initialConfig.bodyLimit;
  const defaultJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', { bodyLimit }, (request, body, done) => {
    defaultJson(request as never, body.toString('utf8'), (error: Error | null, value?: unknown) => {
      const unreadable = error ? 'Malformed JSON body' : value === null || typeof value !== 'object' || Array.isArray(value) ? 'JSON body must be an object' : null;
      if (!unreadable) return done(null, value);
      // A voice function route answers what it cannot read with a spoken "please repeat" (HTTP 200), after its
      // signature is checked (RetellGuard): an HTTP error mid-call would leave the agent without words.
      if ((request.routeOptions?.config as { unreadableBodyAnswered?: unknown } | undefined)?.unreadableBodyAnswered === true) {
        (request as UnreadableBodyRequest).unreadableBody = true;
        return done(null, {});
      }
      done(new BadRequestException(unreadable), undefined);
    });
  });
  app.useBodyParser('application/x-www-form-urlencoded', { bodyLimit }, (_request, body, done) => {
    done(null, { ...parseQueryString(body.toString('utf8')) });
  });

  app.useGlobalFilters(new GatewayExceptionFilter(options.logger.child({ component: 'http-errors' })));
}
