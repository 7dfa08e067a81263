import { Counter, Gauge, Histogram } from 'prom-client';
import { getOrCreateMetric, registry } from '@receptionist/observability';

/** One observation per HTTP attempt (retries show up as several); `status` is the HTTP code or the failure kind. */
export const calcomRequestDuration = () =>
  getOrCreateMetric('calcom_request_duration_seconds', () =>
    new Histogram({
      name: 'calcom_request_duration_seconds',
      help: 'Cal.com API call duration per attempt, by operation and status (HTTP code, timeout, network)',
      labelNames: ['operation', 'status'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  );

export const calcomErrors = () =>
  getOrCreateMetric('calcom_request_errors_total', () =>
    new Counter({
      name: 'calcom_request_errors_total',
      help: 'Failed Cal.com calls by operation and reason (circuit_open, timeout, network, server_error, client_error, …)',
      labelNames: ['operation', 'reason'],
      registers: [registry],
    }),
  );

/** 0 closed, 1 half-open, 2 open (cockatiel's own enum orders these differently). */
export const calcomBreakerState = () =>
  getOrCreateMetric('calcom_circuit_breaker_state', () =>
    new Gauge({
      name: 'calcom_circuit_breaker_state',
      help: 'Cal.com circuit breaker: 0 closed, 1 half-open, 2 open',
      registers: [registry],
    }),
  );
