import { Counter, Histogram } from 'prom-client';
import { getOrCreateMetric, registry } from '@receptionist/observability';

/** `result`: hit or miss of the Redis slot cache (per Cal.com slots lookup). */
export const availabilityCacheLookups = () =>
  getOrCreateMetric('booking_availability_cache_lookups_total', () => {
    const counter = new Counter({
      name: 'booking_availability_cache_lookups_total',
      help: 'Availability (Cal.com slots) cache lookups by result: hit or miss',
      labelNames: ['result'],
      registers: [registry],
    });
    // Both series exist from the start, so a hit ratio is 0 rather than no data before the first hit.
    counter.inc({ result: 'hit' }, 0);
    counter.inc({ result: 'miss' }, 0);
    return counter;
  });

export const bookingOperationDuration = () =>
  getOrCreateMetric('booking_request_duration_seconds', () =>
    new Histogram({
      name: 'booking_request_duration_seconds',
      help: 'Handling time of booking.request operations by operation and outcome (ok or error code)',
      labelNames: ['operation', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  );

/** Business counters for the overview: booking attempts by outcome (`ok` or the refusal code), cancellations. */
export const bookingsTotal = () =>
  getOrCreateMetric('booking_bookings_total', () =>
    new Counter({ name: 'booking_bookings_total', help: 'appointment.book requests by outcome (ok or refusal code)', labelNames: ['outcome'], registers: [registry] }),
  );
export const cancellationsTotal = () =>
  getOrCreateMetric('booking_cancellations_total', () =>
    new Counter({ name: 'booking_cancellations_total', help: 'appointment.cancel requests by outcome (ok or refusal code)', labelNames: ['outcome'], registers: [registry] }),
  );
