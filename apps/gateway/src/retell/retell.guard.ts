import { applyDecorators, CanActivate, ExecutionContext, HttpException, HttpStatus, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { LOGGER, Public, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { GatewayEnv } from '../config';
import type { UnreadableBodyRequest } from '../hardening';
import { RateLimit, SkipRateLimit } from '../rate-limit';
import { INBOUND_CALL, readInboundCall, readInvocation, RetellInvocation } from './call-context';
import { verifyFunctionSecret, verifyRetellSignature } from './retell-signature';
import { retellAuthFailures } from './retell.metrics';
import { CallRouter, RoutedCall } from './call-router';

export const RETELL_ROUTE = 'gateway:retell-route';
interface RetellRouteMeta {
  /** Function fixed by the path (`/api/retell/book-appointment`), or null when the body names it. */
  fn: string | null;
  /** `webhook`: Retell's own call webhooks — its signature only, no routing here, no rate limit. */
  kind?: 'function' | 'webhook';
}

/**
 * A Retell-facing route: no bearer token (Retell signs instead), authenticated by RetellGuard before any work,
 * and limited per company in the `voice` category (100/min).
 */
export const RetellRoute = (fn: string | null) =>
  applyDecorators(
    Public(),
    SetMetadata(RETELL_ROUTE, { fn } satisfies RetellRouteMeta),
    RateLimit('voice'),
    // A voice function answers a body it cannot read with a spoken "please repeat"; the inbound webhook does not speak.
    ...(fn === INBOUND_CALL ? [] : [RouteConfig({ unreadableBodyAnswered: true })]),
  );

/**
 * The largest Retell call webhook accepted (413 above it): a long call's `call_ended`/`call_analyzed` carries the
 * whole transcript with word timings, several MiB for 40 minutes. Every other route keeps the 1 MiB limit.
 */
export const RETELL_WEBHOOK_BODY_LIMIT = 25 * 1024 * 1024;

/** Retell's call webhooks: signed by Retell (x-retell-signature only); ingestion is not rate-limited. */
export const RetellWebhookRoute = () =>
  applyDecorators(
    Public(),
    SetMetadata(RETELL_ROUTE, { fn: null, kind: 'webhook' } satisfies RetellRouteMeta),
    SkipRateLimit(),
    RouteConfig({ bodyLimit: RETELL_WEBHOOK_BODY_LIMIT }),
  );

export type RetellRequest = FastifyRequest & UnreadableBodyRequest & {
  rawBody?: Buffer;
  retell?: { invocation: RetellInvocation; routed: RoutedCall | null };
  principal?: unknown;
};

/**
 * Global guard, registered after the token AuthGuard and before the RateLimitGuard: checks `x-retell-signature`
 * (Retell's scheme, keyed by the Retell API key / webhook secret) or the function secret of the system we replace
 * (bound to RETELLAI_FUNCTION_SECRET_COMPANY), then resolves the company from the signed body so that the rate
 * limit counts per company. Neither credential → 401
 * with the same message whichever part was wrong.
 */
@Injectable()
export class RetellGuard implements CanActivate {
  private readonly signingKeys: string[];
  private readonly functionSecret: string | undefined;
  /** The one company the legacy function secret may act for. */
  private readonly functionSecretCompany: string | undefined;

  constructor(
    private readonly reflector: Reflector,
    private readonly router: CallRouter,
    @Inject(SERVICE_CONFIG) config: GatewayEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.signingKeys = [config.RETELLAI_WEBHOOK_SECRET, config.RETELLAI_API_KEY].filter((k): k is string => !!k);
    this.functionSecret = config.RETELLAI_FUNCTION_SECRET;
    this.functionSecretCompany = config.RETELLAI_FUNCTION_SECRET_COMPANY?.toLowerCase();
    if (this.functionSecret && !this.functionSecretCompany) {
      // A static secret for every tenant would let one company's agent configuration act for all of them.
      throw new Error('RETELLAI_FUNCTION_SECRET_COMPANY: is required when RETELLAI_FUNCTION_SECRET is set (the company whose agents use it)');
    }
    if (!this.signingKeys.length && !this.functionSecret) {
      this.logger.warn('no RETELLAI_API_KEY, RETELLAI_WEBHOOK_SECRET or RETELLAI_FUNCTION_SECRET: every Retell request will be refused');
    }
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const meta = this.reflector.getAllAndOverride<RetellRouteMeta | undefined>(RETELL_ROUTE, [context.getHandler(), context.getClass()]);
    if (!meta) return true;
    const request = context.switchToHttp().getRequest<RetellRequest>();
    const raw = request.rawBody ?? Buffer.from(typeof request.body === 'string' ? request.body : JSON.stringify(request.body ?? {}));
    const credential = this.authenticate(request, raw, meta.kind === 'webhook');
    if (credential === 'missing' || credential === 'invalid') this.refuse(credential);
    if (meta.kind === 'webhook') return true;
    if (request.unreadableBody) {
      // Signed, but not JSON: nothing in it routes the call; the controller answers "please repeat".
      request.retell = { invocation: { ...readInvocation({ body: {} } as FastifyRequest, meta.fn), unreadable: true }, routed: null };
      return true;
    }
    const invocation = meta.fn === INBOUND_CALL ? readInboundCall(request) : readInvocation(request, meta.fn);
    let routed: RoutedCall | null;
    if (credential === 'legacy') {
      // The legacy secret acts for its one company: a body naming another company's agent, number or call is
      // refused like a bad credential; a body naming none is that company's.
      const bound = this.functionSecretCompany!;
      routed = (await this.router.route(invocation, { remember: false })) ?? (await this.router.routeTo(bound, invocation));
      if (routed && routed.company.id !== bound) {
        this.logger.warn({ companyId: routed.company.id }, 'legacy Retell function secret used for another company: refused');
        this.refuse('foreign_company');
      }
    } else {
      routed = await this.router.route(invocation);
    }
    request.retell = { invocation, routed };
    // The rate limiter keys by company; an unroutable call is limited by client IP instead.
    if (routed) request.principal = { kind: 'retell', companyId: routed.company.id };
    return true;
  }

  private refuse(reason: string): never {
    retellAuthFailures().inc({ reason });
    throw new HttpException({ statusCode: 401, error: 'Unauthorized', message: 'missing or invalid Retell signature' }, HttpStatus.UNAUTHORIZED);
  }

  /** Which credential the request carries (`retell`: Retell's signature; `legacy`: the old function secret), else why not. */
  private authenticate(request: RetellRequest, raw: Buffer, signatureOnly: boolean): 'retell' | 'legacy' | 'missing' | 'invalid' {
    const signature = request.headers['x-retell-signature'];
    if (signatureOnly) {
      if (typeof signature !== 'string') return 'missing';
      return this.signingKeys.some((key) => verifyRetellSignature(raw, signature, key)) ? 'retell' : 'invalid';
    }
    const authorization = request.headers.authorization;
    const functionSignature = request.headers['x-retell-function-signature'];
    if (typeof signature === 'string' && this.signingKeys.some((key) => verifyRetellSignature(raw, signature, key))) return 'retell';
    if (
      this.functionSecret &&
      verifyFunctionSecret(raw, { authorization, signature: typeof functionSignature === 'string' ? functionSignature : undefined }, this.functionSecret)
    ) {
      return 'legacy';
    }
    if (!signature && !authorization && !functionSignature) return 'missing';
    return 'invalid';
  }
}
