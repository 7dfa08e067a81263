import { Counter, Gauge, Histogram } from 'prom-client';
import { getOrCreateMetric, registry } from '@receptionist/observability';

/** One observation per fetch of the rates (the retries inside), by outcome: ok, unavailable, garbage. */
export const ratesRequestDuration = () =>
  getOrCreateMetric('exchange_rates_request_duration_seconds', () =>
    new Histogram({
      name: 'exchange_rates_request_duration_seconds',
      help: 'Exchange rates (Frankfurter/ECB) fetch duration by outcome (ok, unavailable, garbage), retries inside',
      labelNames: ['outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers: [registry],
    }),
  );

export const ratesErrors = () =>
  getOrCreateMetric('exchange_rates_request_errors_total', () =>
    new Counter({
      name: 'exchange_rates_request_errors_total',
      help: 'Failed exchange rate fetches by reason (timeout, network, server_error, client_error, garbage)',
      labelNames: ['reason'],
      registers: [registry],
    }),
  );

/** 0 closed (asking the source), 2 open (a fetch failed lately: every instance serves the last good rates until retry). */
export const ratesBreakerState = () =>
  getOrCreateMetric('exchange_rates_circuit_breaker_state', () =>
    new Gauge({ name: 'exchange_rates_circuit_breaker_state', help: 'Exchange rates source: 0 closed, 2 open (serving the last good rates)', registers: [registry] }),
  );

/** 1 while the rates this instance last served were the last good ones (source down or garbage), else 0. */
export const ratesStale = () =>
  getOrCreateMetric('billing_exchange_rates_stale', () =>
    new Gauge({ name: 'billing_exchange_rates_stale', help: 'Exchange rates served are stale (last good rates, source unavailable): 1, else 0', registers: [registry] }),
  );
