import type { FastifyReply, FastifyRequest } from 'fastify';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { GatewayEnv } from '../config';
import { failedTokenAttempts, rateLimitBackendErrors, rateLimitedRequests } from './rate-limit.metrics';
import { policiesFromConfig, RateLimitPolicy, setRateLimitHeaders, tooManyRequests, withTimeout } from './rate-limit.guard';
import { SlidingWindowLimiter } from './sliding-window.limiter';

/**
 * Counts requests that present a bearer token the gateway does not accept (unknown, wrong secret, expired,
 * revoked, malformed), per client IP, in the `sensitive` window shared by all gateway instances. Up to the
 * sensitive limit such requests get the usual 401; beyond it 429 with Retry-After — whatever the token, so the
 * answer never tells whether a token exists. Only failures are counted: a valid token is never slowed down by
 * someone else's bad ones from the same address (an office behind one NAT, say).
 *
 * Redis unavailable: the failure is not counted and the request keeps its 401. It is refused either way, and
 * guessing a token's 256-bit secret is hopeless; the limit only caps the work an abusive client causes.
 */
export class FailedTokenLimiter {
  private readonly limiter: SlidingWindowLimiter;
  private readonly policy: RateLimitPolicy;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private lastErrorLog = 0;

  constructor(
    redis: Redis,
    config: Partial<GatewayEnv>,
    private readonly logger: Logger,
  ) {
    this.limiter = new SlidingWindowLimiter(redis);
    this.policy = policiesFromConfig(config).sensitive;
    this.prefix = config.RATE_LIMIT_KEY_PREFIX ?? 'gateway:rl';
    this.timeoutMs = config.RATE_LIMIT_REDIS_TIMEOUT_MS ?? 250;
  }

  /** Redis key of one client's failed attempts (same keyspace and form as the sensitive category's). */
  keyFor(request: FastifyRequest): string {
    return `${this.prefix}:sensitive:failed-token:ip:${request.ip || 'unknown'}`;
  }

  /**
   * Records one failed attempt. Returns the exception to throw: 401 while the client is within the limit,
   * 429 (with Retry-After and RateLimit-* headers set) once it is over.
   */
  async recordFailure(request: FastifyRequest, reply: FastifyReply, unauthorized: () => Error): Promise<Error> {
    try {
      const decision = await withTimeout(this.limiter.consume([this.keyFor(request)], this.policy.limit, this.policy.windowMs), this.timeoutMs);
      if (decision.allowed) {
        failedTokenAttempts().inc({ outcome: 'unauthorized' });
        return unauthorized();
      }
      failedTokenAttempts().inc({ outcome: 'limited' });
      rateLimitedRequests().inc({ category: 'sensitive' });
      return tooManyRequests(reply, this.policy, setRateLimitHeaders(reply, this.policy, decision));
    } catch (error) {
      failedTokenAttempts().inc({ outcome: 'unauthorized' });
      rateLimitBackendErrors().inc({ category: 'sensitive', outcome: 'uncounted' });
      const now = Date.now();
      if (now - this.lastErrorLog > 10_000) {
        this.lastErrorLog = now;
        this.logger.error({ err: { message: (error as Error).message } }, 'failed-token limiter unavailable');
      }
      return unauthorized();
    }
  }
}
