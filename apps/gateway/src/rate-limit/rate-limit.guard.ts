import { CanActivate, ExecutionContext, HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { LOGGER, REDIS, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { GatewayEnv } from '../config';
import { RATE_LIMIT_METADATA, RateLimitCategory, RateLimitMetadata } from './rate-limit.decorator';
import { rateLimitBackendErrors, rateLimitDuration, rateLimitedRequests } from './rate-limit.metrics';
import { LimitDecision, SlidingWindowLimiter } from './sliding-window.limiter';

/** What the auth guard (which runs before this one) leaves on the request; read structurally, may be absent. */
interface PrincipalLike {
  kind?: string;
  companyId?: string | null;
  userId?: string | null;
  customerId?: string | null;
}

export interface RateLimitPolicy {
  limit: number;
  windowMs: number;
  /**
   * What happens when Redis cannot answer. `open`: the request passes (logged and counted) — an outage of the
   * limiter must not take the whole API and the live voice calls down with it; these routes are authenticated
   * and the limit only protects capacity. `closed`: 503 — the sensitive routes (login, token creation,
   * invitations) are what the limit protects against password guessing and token/invitation abuse; letting
   * them through unlimited while Redis is away would open exactly that hole, and refusing a login for a few
   * seconds costs little.
   */
  onBackendError: 'open' | 'closed';
}

export function policiesFromConfig(config: Partial<GatewayEnv>): Record<RateLimitCategory, RateLimitPolicy> {
  const windowMs = config.RATE_LIMIT_WINDOW_MS ?? 60_000;
  return {
    general: { limit: config.RATE_LIMIT_GENERAL ?? 60, windowMs, onBackendError: 'open' },
    voice: { limit: config.RATE_LIMIT_VOICE ?? 100, windowMs, onBackendError: 'open' },
    booking: { limit: config.RATE_LIMIT_BOOKING ?? 30, windowMs, onBackendError: 'open' },
    portal: { limit: config.RATE_LIMIT_PORTAL ?? 60, windowMs, onBackendError: 'open' },
    portal_change: { limit: config.RATE_LIMIT_PORTAL_CHANGE ?? 10, windowMs, onBackendError: 'open' },
    sensitive: { limit: config.RATE_LIMIT_SENSITIVE ?? 10, windowMs, onBackendError: 'closed' },
  };
}

const FAIL_CLOSED_RETRY_SECONDS = 5;
const hash = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 22);

function windowText(windowMs: number): string {
  if (windowMs === 60_000) return 'minute';
  const seconds = windowMs / 1000;
  return Number.isInteger(seconds) ? `${seconds} seconds` : `${windowMs} ms`;
}

/** Sets the RateLimit-* headers for a decision; the reset is in whole seconds (at least 1). */
export function setRateLimitHeaders(reply: FastifyReply, policy: RateLimitPolicy, decision: LimitDecision): number {
  const resetSeconds = Math.max(1, Math.ceil(decision.resetMs / 1000));
  reply.header('RateLimit-Limit', String(policy.limit));
  reply.header('RateLimit-Remaining', String(decision.remaining));
  reply.header('RateLimit-Reset', String(resetSeconds));
  reply.header('RateLimit-Policy', `${policy.limit};w=${Math.ceil(policy.windowMs / 1000)}`);
  return resetSeconds;
}

/** The 429 every limit answers with: Retry-After plus a body that says when to retry. */
export function tooManyRequests(reply: FastifyReply, policy: RateLimitPolicy, resetSeconds: number): HttpException {
  reply.header('Retry-After', String(resetSeconds));
  return new HttpException(
    {
      statusCode: HttpStatus.TOO_MANY_REQUESTS,
      error: 'Too Many Requests',
      message: `Rate limit of ${policy.limit} requests per ${windowText(policy.windowMs)} exceeded; retry in ${resetSeconds} seconds`,
      retryAfterSeconds: resetSeconds,
    },
    HttpStatus.TOO_MANY_REQUESTS,
  );
}

/** Rejects after `timeoutMs`, so a slow Redis falls back to the category's failure mode instead of stalling requests. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Global guard (APP_GUARD): every /api/v1 route is limited as `general` unless it names a category with
 * @RateLimit; other routes (webhooks, health, metrics) only when they carry @RateLimit. Sets the RateLimit-*
 * headers on every limited response and answers 429 with Retry-After when the window is full.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly limiter: SlidingWindowLimiter;
  private readonly policies: Record<RateLimitCategory, RateLimitPolicy>;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private lastErrorLog = 0;

  constructor(
    private readonly reflector: Reflector,
    @Inject(REDIS) redis: Redis,
    @Inject(SERVICE_CONFIG) config: GatewayEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.limiter = new SlidingWindowLimiter(redis);
    this.policies = policiesFromConfig(config);
    this.prefix = config.RATE_LIMIT_KEY_PREFIX ?? 'gateway:rl';
    this.timeoutMs = config.RATE_LIMIT_REDIS_TIMEOUT_MS ?? 250;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const meta = this.reflector.getAllAndOverride<RateLimitMetadata | false | undefined>(RATE_LIMIT_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (meta === false) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const category = meta?.category ?? (isApiV1(request) ? 'general' : undefined);
    if (!category) return true;
    const started = process.hrtime.bigint();
    try {
      return await this.decide(category, request, reply, meta || undefined);
    } finally {
      rateLimitDuration().observe({ category }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private async decide(category: RateLimitCategory, request: FastifyRequest, reply: FastifyReply, meta?: RateLimitMetadata): Promise<boolean> {
    const policy = this.policies[category];
    const keys = this.keysFor(category, request, meta);

    let decision: LimitDecision;
    try {
      decision = await withTimeout(this.limiter.consume(keys, policy.limit, policy.windowMs), this.timeoutMs);
    } catch (error) {
      return this.onBackendError(category, policy, reply, error as Error);
    }

    const resetSeconds = setRateLimitHeaders(reply, policy, decision);
    if (decision.allowed) return true;
    rateLimitedRequests().inc({ category });
    throw tooManyRequests(reply, policy, resetSeconds);
  }

  /** Redis keys for one request: `<prefix>:<category>:<scope>:<id>`; ids from outside are hashed. */
  keysFor(category: RateLimitCategory, request: FastifyRequest, meta?: RateLimitMetadata): string[] {
    const principal = (request as FastifyRequest & { principal?: PrincipalLike }).principal;
    const key = (scope: string, id: string) => `${this.prefix}:${category}:${scope}:${id}`;
    const ip = key('ip', request.ip || 'unknown');
    if (category === 'sensitive') {
      const account = meta?.account ? meta.account(request) : defaultAccount(request, principal);
      return account ? [ip, key('account', hash(account.trim().toLowerCase()))] : [ip];
    }
    if ((category === 'portal' || category === 'portal_change') && principal?.customerId) return [key('customer', principal.customerId)];
    if (principal?.companyId) return [key('company', principal.companyId)];
    if (principal?.customerId) return [key('customer', principal.customerId)];
    if (principal?.userId) return [key('user', principal.userId)];
    return [ip];
  }

  private onBackendError(category: RateLimitCategory, policy: RateLimitPolicy, reply: FastifyReply, error: Error): boolean {
    const outcome = policy.onBackendError === 'open' ? 'allowed' : 'rejected';
    rateLimitBackendErrors().inc({ category, outcome });
    // One line per 10 s is enough to notice an outage without flooding the log with every request.
    const now = Date.now();
    if (now - this.lastErrorLog > 10_000) {
      this.lastErrorLog = now;
      this.logger.error({ category, outcome, err: { message: error.message } }, 'rate limiter unavailable');
    }
    if (policy.onBackendError === 'open') return true;
    reply.header('Retry-After', String(FAIL_CLOSED_RETRY_SECONDS));
    throw new HttpException(
      {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        error: 'Service Unavailable',
        message: `Temporarily unavailable; retry in ${FAIL_CLOSED_RETRY_SECONDS} seconds`,
        retryAfterSeconds: FAIL_CLOSED_RETRY_SECONDS,
      },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}

function isApiV1(request: FastifyRequest): boolean {
  const path = request.routeOptions?.url ?? request.url;
  return path === '/api/v1' || path.startsWith('/api/v1/');
}

function defaultAccount(request: FastifyRequest, principal?: PrincipalLike): string | undefined {
  if (principal?.userId) return `user:${principal.userId}`;
  if (principal?.customerId) return `customer:${principal.customerId}`;
  const body = request.body as Record<string, unknown> | undefined;
  if (body && typeof body === 'object') {
    for (const field of ['email', 'username', 'login']) {
      const value = body[field];
      if (typeof value === 'string' && value.length > 0 && value.length <= 320) return `login:${value}`;
    }
  }
  return undefined;
}
