import { Counter, Histogram } from 'prom-client';
import { getOrCreateMetric, registry } from '@receptionist/observability';

/** Requests answered 429, by category. */
export const rateLimitedRequests = () =>
  getOrCreateMetric('gateway_rate_limited_requests_total', () =>
    new Counter({
      name: 'gateway_rate_limited_requests_total',
      help: 'Requests rejected with 429 by the gateway rate limiter, by category',
      labelNames: ['category'],
      registers: [registry],
    }),
  );

/** Decisions Redis could not make; outcome `allowed` (fail open) or `rejected` (fail closed, 503). */
export const rateLimitBackendErrors = () =>
  getOrCreateMetric('gateway_rate_limit_backend_errors_total', () =>
    new Counter({
      name: 'gateway_rate_limit_backend_errors_total',
      help: 'Rate-limit decisions that failed because Redis was unreachable or slow, by category and outcome',
      labelNames: ['category', 'outcome'],
      registers: [registry],
    }),
  );

/** Sub-millisecond buckets: these steps are expected to take well under a millisecond to a few milliseconds. */
export const GUARD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * Time spent deciding limits (Redis round trip included), per limited request. Always on: one histogram
 * observation costs far less than the decision it measures. With gateway_auth_duration_seconds it gives the
 * share of request time spent in authentication and rate limiting (GET /api/health/metrics, npm run bench).
 */
export const rateLimitDuration = () =>
  getOrCreateMetric('gateway_rate_limit_duration_seconds', () =>
    new Histogram({
      name: 'gateway_rate_limit_duration_seconds',
      help: 'Time the gateway rate limiter spent on one request, by category',
      labelNames: ['category'],
      buckets: GUARD_BUCKETS,
      registers: [registry],
    }),
  );

/** Requests that presented a bearer token the gateway did not accept, by outcome (unauthorized 401, limited 429). */
export const failedTokenAttempts = () =>
  getOrCreateMetric('gateway_failed_token_attempts_total', () =>
    new Counter({
      name: 'gateway_failed_token_attempts_total',
      help: 'Requests with an invalid, expired or revoked bearer token, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  );
