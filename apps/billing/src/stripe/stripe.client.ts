import { Inject, Injectable } from '@nestjs/common';
import { BrokenCircuitError, CircuitBreakerPolicy, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import Stripe from 'stripe';
import { SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { BillingEnv } from '../config';
import { stripeBreakerState, stripeErrors, stripeRequestDuration } from '../common/billing.metrics';

/** Stripe could not be reached or is failing (network, 5xx, open breaker, no key configured); nothing was changed on our side. */
export class PaymentProviderUnavailable extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'PaymentProviderUnavailable';
  }
}

const isOutage = (error: unknown) =>
  error instanceof Stripe.errors.StripeConnectionError ||
  error instanceof Stripe.errors.StripeAPIError ||
  (error instanceof Stripe.errors.StripeError && (error.statusCode ?? 0) >= 500);

/**
 * The official `stripe` SDK pointed at STRIPE_API_BASE (the simulator locally and in tests). stripe-node retries
 * connection errors, 409 and 5xx itself (2 retries) with the caller's Idempotency-Key, so every write here passes a
 * key derived from our own ids: a retried or repeated request never creates a second object. A breaker (5
 * consecutive outages, half-open after 30 s) stops piling requests onto a Stripe that is down.
 */
@Injectable()
export class StripeClient {
  readonly api: Stripe | null;
  private readonly breaker: CircuitBreakerPolicy;

  constructor(@Inject(SERVICE_CONFIG) config: BillingEnv) {
    const base = new URL(config.STRIPE_API_BASE);
    const isRealStripe = base.hostname === 'api.stripe.com';
    const key = config.STRIPE_SECRET ?? (isRealStripe ? undefined : 'sk_test_simulator');
    this.api = key
      ? new Stripe(key, {
          host: base.hostname,
          port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
          protocol: base.protocol === 'https:' ? 'https' : 'http',
          maxNetworkRetries: 2,
          timeout: 10_000,
          telemetry: false,
        })
      : null;
    this.breaker = circuitBreaker(handleWhen(isOutage), { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) });
    this.breaker.onStateChange((state) => stripeBreakerState().set(state === CircuitState.Open || state === CircuitState.Isolated ? 2 : state === CircuitState.HalfOpen ? 1 : 0));
    stripeBreakerState().set(0);
  }

  get breakerOpen(): boolean {
    return this.breaker.state === CircuitState.Open;
  }

  /** Runs one Stripe call through the breaker; outages become PaymentProviderUnavailable, Stripe's own refusals pass through. */
  async call<T>(operation: string, fn: (stripe: Stripe) => Promise<T>): Promise<T> {
    const api = this.api;
    if (!api) throw new PaymentProviderUnavailable('STRIPE_SECRET is not configured');
    const started = process.hrtime.bigint();
    let outcome = 'ok';
    try {
      return await this.breaker.execute(() => fn(api));
    } catch (error) {
      outcome = error instanceof BrokenCircuitError ? 'circuit_open' : isOutage(error) ? 'unavailable' : 'refused';
      stripeErrors().inc({ operation, reason: outcome });
      if (error instanceof BrokenCircuitError) throw new PaymentProviderUnavailable(`Stripe circuit open (${operation})`, error);
      if (isOutage(error)) throw new PaymentProviderUnavailable(`Stripe unavailable (${operation}): ${(error as Error).message}`, error);
      throw error;
    } finally {
      stripeRequestDuration().observe({ operation, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }
}
