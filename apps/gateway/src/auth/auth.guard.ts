import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { Histogram } from 'prom-client';
import { registry } from '@receptionist/observability';
import { IS_PUBLIC_KEY, LOGGER, REDIS, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { GatewayEnv } from '../config';
import { AccessTokensService } from '../identity/access-tokens.service';
import { UUID_RE } from '../common/zod-body';
import { FailedTokenLimiter } from '../rate-limit/failed-token.limiter';
import { GUARD_BUCKETS } from '../rate-limit/rate-limit.metrics';
import { isPlatformAdmin, PORTAL_API_KEY, PORTAL_AUTHENTICATOR, PortalAuthenticator, REQUIRED_ABILITIES_KEY, RequestWithPrincipal } from './principal';

/**
 * Time the guard spends on one authenticated route (token lookup, last-used write, tenant and ability checks), by
 * outcome. Always on; see gateway_rate_limit_duration_seconds for the limiter's share.
 */
export const authDuration = () =>
  (registry.getSingleMetric('gateway_auth_duration_seconds') as Histogram<'outcome'> | undefined) ??
  new Histogram({
    name: 'gateway_auth_duration_seconds',
    help: 'Time the gateway auth guard spent on one request, by outcome (ok, unauthorized, forbidden, not_found, limited)',
    labelNames: ['outcome'],
    buckets: GUARD_BUCKETS,
    registers: [registry],
  });

/**
 * Global guard (APP_GUARD). Every route needs a valid bearer token unless it (or its controller) is marked
 * `@Public()`. Then, before any body is parsed:
 * - a route with a `:companyId` path parameter is only reachable for that company's principals (and platform
 *   admins); anyone else gets 404, exactly as for a company that does not exist;
 * - `@RequireAbility(...)` is checked: missing ability → 403.
 * Repositories scope every company-owned query by the principal as well (the second line of defence, and
 * the only one for ids of child records).
 * A presented token that is not accepted counts against the client's failed-token limit (FailedTokenLimiter):
 * 401 within it, 429 beyond.
 * Routes marked `@PortalApi()` accept only portal tokens (and nothing else does): a token of the other kind is
 * simply not accepted there.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly failedTokens: FailedTokenLimiter;
  private portalAuthenticator?: PortalAuthenticator | null;

  constructor(
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
    private readonly tokens: AccessTokensService,
    @Inject(REDIS) redis: Redis,
    @Inject(SERVICE_CONFIG) config: GatewayEnv,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.failedTokens = new FailedTokenLimiter(redis, config, logger.child({ component: 'failed-token-limiter' }));
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;

    const started = process.hrtime.bigint();
    let outcome = 'ok';
    try {
      return await this.authorize(context, targets);
    } catch (error) {
      outcome = outcomeOf(error);
      throw error;
    } finally {
      authDuration().observe({ outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private async authorize(context: ExecutionContext, targets: Function[]): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithPrincipal>();
    const header = request.headers.authorization;
    // No credentials at all is not a guess: plain 401, not counted.
    if (header === undefined) throw new UnauthorizedException();
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const portalRoute = this.reflector.getAllAndOverride<boolean>(PORTAL_API_KEY, targets) === true;
    const principal = !match ? null : portalRoute ? await this.portal()?.authenticate(match[1]) : await this.tokens.authenticate(match[1]);
    if (!principal) {
      throw await this.failedTokens.recordFailure(request, context.switchToHttp().getResponse<FastifyReply>(), () => new UnauthorizedException());
    }
    request.principal = principal;
    // Portal routes name no company and need no ability: the portal principal's own company scopes everything.
    if (principal.kind === 'portal') return true;

    const companyId = (request.params as Record<string, string> | undefined)?.companyId;
    if (companyId !== undefined && !isPlatformAdmin(principal)) {
      if (!UUID_RE.test(companyId) || companyId.toLowerCase() !== principal.companyId) throw new NotFoundException();
    }

    const required = this.reflector.getAllAndMerge<string[]>(REQUIRED_ABILITIES_KEY, targets) ?? [];
    for (const ability of required) {
      if (!principal.abilities.includes(ability)) throw new ForbiddenException(`missing ability: ${ability}`);
    }
    return true;
  }

  private portal(): PortalAuthenticator | null {
    if (this.portalAuthenticator === undefined) {
      try {
        this.portalAuthenticator = this.moduleRef.get<PortalAuthenticator>(PORTAL_AUTHENTICATOR, { strict: false });
      } catch {
        this.portalAuthenticator = null; // no portal module loaded: no portal token is accepted
      }
    }
    return this.portalAuthenticator;
  }
}

function outcomeOf(error: unknown): string {
  const status = (error as { getStatus?: () => number }).getStatus?.();
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 429) return 'limited';
  return 'error';
}
