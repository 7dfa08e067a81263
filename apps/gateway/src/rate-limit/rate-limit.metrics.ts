import { Counter } from 'prom-client';
import { registry } from '@receptionist/observability';

function getOrCreate<T>(name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** Requests answered 429, by category. */
export const rateLimitedRequests = () =>
  getOrCreate('gateway_rate_limited_requests_total', () =>
    new Counter({
      name: 'gateway_rate_limited_requests_total',
      help: 'Requests rejected with 429 by the gateway rate limiter, by category',
      labelNames: ['category'],
      registers: [registry],
    }),
  );

/** Decisions Redis could not make; outcome `allowed` (fail open) or `rejected` (fail closed, 503). */
export const rateLimitBackendErrors = () =>
  getOrCreate('gateway_rate_limit_backend_errors_total', () =>
    new Counter({
      name: 'gateway_rate_limit_backend_errors_total',
      help: 'Rate-limit decisions that failed because Redis was unreachable or slow, by category and outcome',
      labelNames: ['category', 'outcome'],
      registers: [registry],
    }),
  );
