import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { ExponentialBackoff, RetryPolicy, halfJitterGenerator, handleWhen, retry } from 'cockatiel';
import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import { LOGGER, MessagingRuntime, REDIS, SERVICE_CONFIG } from '@receptionist/service-runtime';
import { BillingFailure } from '../common/billing-failure';
import type { BillingEnv } from '../config';
import { DisplayCurrency, RatesSnapshot, convertMinor, displayRate, parseFrankfurterLatest, readSnapshot } from './conversion';
import { ratesBreakerState, ratesErrors, ratesRequestDuration, ratesStale } from './rates.metrics';

/** The rates billing shows converted amounts with. `stale`: the source is down or answered garbage, these are the last good ones. */
export interface ExchangeRates extends RatesSnapshot {
  base: 'EUR';
  stale: boolean;
}

/** What a converted amount is shown with: the rate from the account currency, its ECB date and the stale flag. */
export interface DisplayConversion {
  currency: DisplayCurrency;
  /** Units of `currency` per unit of the account currency (for display; amounts use the exact fraction). */
  rate: number;
  rateDate: string;
  stale: boolean;
  convert(amountMinor: number): number;
}

type FailureReason = 'timeout' | 'network' | 'server_error' | 'client_error' | 'garbage';

class RatesFetchError extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
  }
  get retryable(): boolean {
    return this.reason === 'timeout' || this.reason === 'network' || this.reason === 'server_error';
  }
}

/** Redis keys, per source URL: rates from another source (a test's simulator, a staging mirror) never mix. */
export function exchangeRatesKeys(sourceUrl: string): { current: string; lastGood: string; retryAt: string } {
  const source = createHash('sha256').update(sourceUrl).digest('hex').slice(0, 16);
  const prefix = `billing:exchange-rates:${source}`;
  return { current: `${prefix}:current`, lastGood: `${prefix}:last-good`, retryAt: `${prefix}:retry-at` };
}

/**
 * ECB reference rates (EUR, USD, GBP) from the Frankfurter API, shared by every billing instance through Redis:
 * `current` lives EXCHANGE_RATES_REFRESH_MS (the first request after it expires fetches again), `last-good` has no
 * TTL. A failed or garbage fetch sets `retry-at` for EXCHANGE_RATES_RETRY_AFTER_MS, during which every instance
 * serves the last good rates flagged `stale` without asking the source (so an outage costs one slow request per
 * period, not one per request). Never any rates at all → `rates_unavailable` (503). Fetching is lazy: an instance
 * that is never asked for a conversion never calls out.
 */
@Injectable()
export class ExchangeRatesService implements OnModuleDestroy {
  private readonly agent: Agent;
  private readonly url: string;
  private readonly keys: ReturnType<typeof exchangeRatesKeys>;
  private readonly retries: RetryPolicy;
  /** One fetch at a time per instance; concurrent askers share it. */
  private inFlight: Promise<ExchangeRates> | null = null;
  /** The last good rates seen, should Redis blink. */
  private memory: RatesSnapshot | null = null;
  /** What this instance last answered, for its heartbeat (informational: an outside source being down is no reason to restart). */
  private status: { ok: boolean; detail: string } = { ok: true, detail: 'not asked yet' };

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SERVICE_CONFIG) private readonly config: BillingEnv,
    @Inject(LOGGER) private readonly logger: Logger,
    runtime: MessagingRuntime,
  ) {
    runtime.registerCheck('exchange_rates', () => this.status);
    const base = config.EXCHANGE_RATES_URL.replace(/\/+$/, '');
    this.url = `${base}/latest?base=EUR&symbols=GBP,USD`;
    this.keys = exchangeRatesKeys(base);
    this.agent = new Agent({
      connect: { timeout: config.EXCHANGE_RATES_TIMEOUT_MS },
      headersTimeout: config.EXCHANGE_RATES_TIMEOUT_MS,
      bodyTimeout: config.EXCHANGE_RATES_TIMEOUT_MS,
      keepAliveTimeout: 10_000,
    });
    this.retries = retry(
      handleWhen((e) => e instanceof RatesFetchError && e.retryable),
      { maxAttempts: 2, backoff: new ExponentialBackoff({ generator: halfJitterGenerator, initialDelay: 200, maxDelay: 1_000 }) },
    );
    ratesBreakerState().set(0);
    ratesStale().set(0);
  }

  async onModuleDestroy(): Promise<void> {
    await this.agent.close();
  }

  /** The current rates: cached, fetched when the cache has expired, or the last good ones flagged stale. */
  async current(): Promise<ExchangeRates> {
    const cached = readSnapshot(await this.redis.get(this.keys.current).catch(() => null));
    if (cached) {
      this.memory = cached;
      this.served(cached, false);
      return { base: 'EUR', ...cached, stale: false };
    }
    this.inFlight ??= this.refresh().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  /** How to show amounts of `from` in `to` with the current rates (identity when they are the same currency). */
  async conversion(from: DisplayCurrency, to: DisplayCurrency): Promise<DisplayConversion> {
    // The account's own currency needs no rates: shown as it is, even when the source was never reachable.
    if (from === to) return { currency: to, rate: 1, rateDate: new Date().toISOString().slice(0, 10), stale: false, convert: (amountMinor) => amountMinor };
    const rates = await this.current();
    return {
      currency: to,
      rate: displayRate(rates.rates, from, to),
      rateDate: rates.date,
      stale: rates.stale,
      convert: (amountMinor) => convertMinor(amountMinor, rates.rates, from, to),
    };
  }

  private async refresh(): Promise<ExchangeRates> {
    const retryAt = await this.redis.get(this.keys.retryAt).catch(() => null);
    if (retryAt) return this.lastGood('the exchange rates source failed lately');
    try {
      const snapshot = await this.fetch();
      await this.redis
        .multi()
        .set(this.keys.current, JSON.stringify(snapshot), 'PX', this.config.EXCHANGE_RATES_REFRESH_MS)
        .set(this.keys.lastGood, JSON.stringify(snapshot))
        .del(this.keys.retryAt)
        .exec()
        .catch((err: Error) => this.logger.warn({ err: { name: err.name, message: err.message } }, 'could not cache exchange rates in Redis'));
      this.memory = snapshot;
      ratesBreakerState().set(0);
      this.served(snapshot, false);
      return { base: 'EUR', ...snapshot, stale: false };
    } catch (error) {
      const e = error instanceof RatesFetchError ? error : new RatesFetchError('network', (error as Error).message);
      ratesErrors().inc({ reason: e.reason });
      ratesBreakerState().set(2);
      this.logger.warn({ reason: e.reason, err: { message: e.message } }, 'exchange rates fetch failed; serving the last good rates');
      await this.redis.set(this.keys.retryAt, String(Date.now() + this.config.EXCHANGE_RATES_RETRY_AFTER_MS), 'PX', this.config.EXCHANGE_RATES_RETRY_AFTER_MS).catch(() => undefined);
      return this.lastGood(e.message);
    }
  }

  private async lastGood(why: string): Promise<ExchangeRates> {
    const stored = readSnapshot(await this.redis.get(this.keys.lastGood).catch(() => null)) ?? this.memory;
    if (!stored) {
      ratesStale().set(1);
      this.status = { ok: false, detail: 'unavailable: no rates ever fetched' };
      throw new BillingFailure('rates_unavailable', `exchange rates unavailable: ${why}; there are no earlier rates to show`);
    }
    this.served(stored, true);
    return { base: 'EUR', ...stored, stale: true };
  }

  private served(snapshot: RatesSnapshot, stale: boolean): void {
    ratesStale().set(stale ? 1 : 0);
    this.status = { ok: !stale, detail: `${stale ? 'stale' : 'current'} rates of ${snapshot.date}` };
  }

  /** One GET with retries inside; one duration observation per fetch. */
  private async fetch(): Promise<RatesSnapshot> {
    const end = ratesRequestDuration().startTimer();
    try {
      const snapshot = await this.retries.execute(() => this.attempt());
      end({ outcome: 'ok' });
      return snapshot;
    } catch (error) {
      end({ outcome: error instanceof RatesFetchError && error.reason === 'garbage' ? 'garbage' : 'unavailable' });
      throw error;
    }
  }

  private async attempt(): Promise<RatesSnapshot> {
    let res;
    try {
      res = await request(this.url, {
        method: 'GET',
        dispatcher: this.agent,
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.config.EXCHANGE_RATES_TIMEOUT_MS),
      });
    } catch (error) {
      const e = error as Error & { code?: string };
      const timeout = e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/.test(e.code ?? '');
      throw new RatesFetchError(timeout ? 'timeout' : 'network', `${e.name}: ${e.message}`);
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (error) {
      const e = error as Error;
      throw new RatesFetchError(e.name === 'TimeoutError' || e.name === 'AbortError' ? 'timeout' : 'network', `${e.name}: ${e.message}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (res.statusCode >= 500 || res.statusCode === 429) throw new RatesFetchError('server_error', `exchange rates source answered ${res.statusCode}`);
    if (res.statusCode !== 200) throw new RatesFetchError('client_error', `exchange rates source answered ${res.statusCode}`);
    try {
      return parseFrankfurterLatest(body, new Date());
    } catch (error) {
      throw new RatesFetchError('garbage', (error as Error).message);
    }
  }
}
