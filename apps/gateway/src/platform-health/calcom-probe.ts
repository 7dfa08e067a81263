import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Agent, request } from 'undici';
import { SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { GatewayEnv } from '../config';

/** Event types are the cheapest authenticated read of Cal.com API v2 (version as in booking's client). */
const PROBE_PATH = '/v2/event-types';
const PROBE_API_VERSION = '2024-06-14';

export interface CalcomProbeResult {
  /** Cal.com answered at all (any HTTP status). */
  reachable: boolean;
  /** The configured API key was accepted (false on 401/403; null when unreachable). */
  authenticated: boolean | null;
  /** Reachable, key accepted and not failing (2xx). */
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  /** A short fixed phrase, never a driver message or host. */
  detail: string;
  checkedAt: string;
  /** Served from the short cache (CALCOM_HEALTH_CACHE_MS) rather than probed for this request. */
  cached: boolean;
}

/**
 * Probes the Cal.com API the way booking uses it (CALCOM_BASE_URL, CALCOM_API_KEY): one authenticated GET, timed.
 * Concurrent callers share one probe, and a result is reused for CALCOM_HEALTH_CACHE_MS, so operators polling the
 * endpoint cannot turn into load on (or a rate limit from) Cal.com.
 */
@Injectable()
export class CalcomProbe implements OnModuleDestroy {
  private readonly agent = new Agent({ keepAliveTimeout: 10_000, connect: { timeout: 5_000 } });
  private readonly origin: string;
  private inFlight?: Promise<CalcomProbeResult>;
  private last?: { result: CalcomProbeResult; at: number };

  constructor(@Inject(SERVICE_CONFIG) private readonly config: GatewayEnv) {
    this.origin = config.CALCOM_BASE_URL.replace(/\/+$/, '').replace(/\/v2$/, '');
  }

  async check(): Promise<CalcomProbeResult> {
    const ttl = this.config.CALCOM_HEALTH_CACHE_MS;
    if (this.last && ttl > 0 && Date.now() - this.last.at < ttl) return { ...this.last.result, cached: true };
    this.inFlight ??= this.probe().finally(() => (this.inFlight = undefined));
    const result = await this.inFlight;
    this.last = { result, at: Date.now() };
    return result;
  }

  private async probe(): Promise<CalcomProbeResult> {
    const started = process.hrtime.bigint();
    const elapsed = () => Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
    const headers: Record<string, string> = { accept: 'application/json', 'cal-api-version': PROBE_API_VERSION };
    if (this.config.CALCOM_API_KEY) headers.authorization = `Bearer ${this.config.CALCOM_API_KEY}`;
    const base = { checkedAt: new Date().toISOString(), cached: false };
    try {
      const res = await request(new URL(PROBE_PATH, this.origin), {
        method: 'GET',
        headers,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.config.CALCOM_HEALTH_TIMEOUT_MS),
      });
      await res.body.dump();
      const latencyMs = elapsed();
      const statusCode = res.statusCode;
      if (statusCode >= 200 && statusCode < 300) {
        return { ...base, reachable: true, authenticated: true, ok: true, statusCode, latencyMs, detail: 'ok' };
      }
      if (statusCode === 401 || statusCode === 403) {
        const detail = this.config.CALCOM_API_KEY ? 'API key rejected' : 'no API key configured';
        return { ...base, reachable: true, authenticated: false, ok: false, statusCode, latencyMs, detail };
      }
      const detail = statusCode === 429 ? 'rate limited' : statusCode >= 500 ? 'server error' : 'unexpected answer';
      return { ...base, reachable: true, authenticated: null, ok: false, statusCode, latencyMs, detail };
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError';
      return { ...base, reachable: false, authenticated: null, ok: false, statusCode: null, latencyMs: elapsed(), detail: timedOut ? 'timed out' : 'unreachable' };
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.agent.close();
  }
}
