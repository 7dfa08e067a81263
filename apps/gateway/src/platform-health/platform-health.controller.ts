import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { KAFKA, MessagingRuntime, REDIS } from '@receptionist/service-runtime';
import { SERVICE_NAMES } from '@receptionist/contracts';
import { RequireAbility } from '../auth/principal';
import { CalcomProbe } from './calcom-probe';
import { consumerLag, pingCluster, type GroupLag, type KafkaClient } from '@receptionist/messaging';
import { counterByLabel, histogramSummary, httpFigures, total } from './operational-metrics';
import { Heartbeat, ServiceStatusRepository } from './service-status.repository';

type Check = { ok: boolean; latencyMs: number; detail?: string };

async function probe(fn: () => Promise<unknown>, timeoutMs = 2000): Promise<Check> {
  const started = Date.now();
  try {
    await withTimeout(fn(), timeoutMs);
    return { ok: true, latencyMs: Date.now() - started };
  } catch (error) {
    // The reason is a short, fixed phrase: no driver messages, versions or hosts reach a response.
    return { ok: false, latencyMs: Date.now() - started, detail: (error as Error).message === 'timed out' ? 'timed out' : 'unreachable' };
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), timeoutMs)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The heartbeat check booking reports for its Cal.com circuit breaker (apps/booking/src/calcom/calcom.health.ts). */
export const CALCOM_BREAKER_CHECK = 'calcom.breaker';
export type BreakerState = 'closed' | 'half-open' | 'open' | 'unknown';
const BREAKER_SEVERITY: Record<BreakerState, number> = { unknown: 0, closed: 1, 'half-open': 2, open: 3 };

/** The worst breaker state among live booking instances; `unknown` when none reports one. */
export function calcomBreaker(instances: (Heartbeat & { stale: boolean })[]) {
  const reports = instances
    .filter((i) => i.service === 'booking' && !i.stale && i.checks[CALCOM_BREAKER_CHECK])
    .map((i) => {
      const detail = i.checks[CALCOM_BREAKER_CHECK].detail;
      const state: BreakerState = detail === 'closed' || detail === 'half-open' || detail === 'open' ? detail : 'unknown';
      return { instanceId: i.instanceId, state, at: i.at };
    });
  const state = reports.reduce<BreakerState>((worst, r) => (BREAKER_SEVERITY[r.state] > BREAKER_SEVERITY[worst] ? r.state : worst), 'unknown');
  return { state, instances: reports };
}

const LAG_CACHE_MS = 10_000;

/**
 * Operator views of the whole platform. Liveness stays public at GET /api/health; these need a token with
 * the `health.read` ability (platform operators).
 */
@Controller('api/health')
export class PlatformHealthController {
  private lagCache?: { at: number; value: Promise<Record<string, GroupLag>> };

  constructor(
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(KAFKA) private readonly kafka: KafkaClient,
    private readonly messaging: MessagingRuntime,
    private readonly statuses: ServiceStatusRepository,
    private readonly calcom: CalcomProbe,
  ) {}

  /**
   * Dependencies, every service's readiness and outbox backlog as heard over Kafka, and the Cal.com breaker.
   * 200 when all is well; 503 when a dependency or service is down or the breaker is not closed.
   */
  @Get('detailed')
  @RequireAbility('health.read')
  async detailed(@Res() reply: FastifyReply) {
    const [mysql, redis, kafka, instances] = await Promise.all([
      probe(() => this.dataSource.query('SELECT 1')),
      probe(() => this.redis.ping()),
      probe(() => pingCluster(this.kafka)),
      this.statuses.all().catch(() => []),
    ]);
    const services = Object.fromEntries(
      SERVICE_NAMES.map((name) => {
        const live = instances.filter((i) => i.service === name && !i.stale);
        return [
          name,
          {
            ready: live.some((i) => i.ready),
            instances: live.map((i) => ({ instanceId: i.instanceId, ready: i.ready, checks: i.checks, outboxBacklog: i.outboxBacklog, at: i.at })),
          },
        ];
      }),
    );
    const breaker = calcomBreaker(instances);
    const healthy =
      mysql.ok && redis.ok && kafka.ok && Object.values(services).every((s) => s.ready) && (breaker.state === 'closed' || breaker.state === 'unknown');
    reply.status(healthy ? 200 : 503).send({
      status: healthy ? 'healthy' : 'degraded',
      time: new Date().toISOString(),
      dependencies: { mysql, redis, kafka },
      gateway: this.messaging.status(),
      services,
      calcom: { breaker: breaker.state, instances: breaker.instances },
      outboxBacklog: Object.fromEntries(Object.entries(services).map(([n, s]) => [n, s.instances.reduce((sum, i) => sum + i.outboxBacklog, 0)])),
    });
  }

  /**
   * Operational figures as JSON. HTTP, guard and rate-limit figures are this gateway instance's since it started
   * (from its Prometheus registry; /metrics has the raw series); services and Kafka lag are platform-wide.
   */
  @Get('metrics')
  @RequireAbility('health.read')
  async metrics() {
    const [http, auth, rateLimit, rejected, backendErrors, failedTokens, instances, lag, eventLoopLag] = await Promise.all([
      httpFigures(),
      histogramSummary('gateway_auth_duration_seconds'),
      histogramSummary('gateway_rate_limit_duration_seconds'),
      counterByLabel('gateway_rate_limited_requests_total', 'category'),
      counterByLabel('gateway_rate_limit_backend_errors_total', 'outcome'),
      counterByLabel('gateway_failed_token_attempts_total', 'outcome'),
      this.statuses.all().catch(() => null),
      this.consumerLag(),
      total('nodejs_eventloop_lag_p99_seconds'),
    ]);
    const httpTotalMs = (await histogramSummary('http_server_request_duration_seconds')).totalMs;
    const memory = process.memoryUsage();
    const mb = (bytes: number) => Math.round(bytes / 1048576);
    return {
      time: new Date().toISOString(),
      instance: this.messaging.instanceId,
      process: {
        uptimeSeconds: Math.round(process.uptime()),
        rssMb: mb(memory.rss),
        heapUsedMb: mb(memory.heapUsed),
        heapTotalMb: mb(memory.heapTotal),
        eventLoopLagP99Ms: eventLoopLag === null ? null : Math.round(eventLoopLag * 1e4) / 10,
      },
      http,
      guards: {
        auth,
        rateLimit,
        /** Share of all request time this instance spent authenticating and deciding limits. */
        shareOfRequestTime: httpTotalMs > 0 ? Math.round(((auth.totalMs + rateLimit.totalMs) / httpTotalMs) * 1000) / 1000 : null,
      },
      rateLimits: { rejectedByCategory: rejected, failedTokens, redisUnavailable: backendErrors },
      services:
        instances === null
          ? null
          : Object.fromEntries(
              SERVICE_NAMES.map((name) => {
                const live = instances.filter((i) => i.service === name && !i.stale);
                return [
                  name,
                  { instances: live.length, ready: live.filter((i) => i.ready).length, outboxBacklog: live.reduce((s, i) => s + i.outboxBacklog, 0) },
                ];
              }),
            ),
      kafka: lag,
    };
  }

  /** Cal.com reachability and latency (probed with booking's URL and key) plus booking's circuit breaker; 503 unless both are fine. */
  @Get('calcom')
  @RequireAbility('health.read')
  async calcomHealth(@Res() reply: FastifyReply) {
    const [api, instances] = await Promise.all([this.calcom.check(), this.statuses.all().catch(() => [])]);
    const breaker = calcomBreaker(instances);
    const breakerOk = breaker.state === 'closed' || breaker.state === 'unknown';
    const healthy = api.ok && breakerOk;
    reply.status(healthy ? 200 : 503).send({
      status: healthy ? 'healthy' : api.reachable ? 'degraded' : 'unreachable',
      time: new Date().toISOString(),
      api,
      breaker: { state: breaker.state, instances: breaker.instances },
    });
  }

  /** Lag per consumer group, computed at most every LAG_CACHE_MS (it costs a few admin requests). */
  private async consumerLag(): Promise<{ available: boolean; groups?: Record<string, GroupLag>; totalLag?: number }> {
    if (!this.lagCache || Date.now() - this.lagCache.at > LAG_CACHE_MS) {
      const value = withTimeout(consumerLag(this.kafka), 3000);
      this.lagCache = { at: Date.now(), value };
      value.catch(() => (this.lagCache = undefined));
    }
    try {
      const groups = await this.lagCache.value;
      return { available: true, totalLag: Object.values(groups).reduce((s, g) => s + g.lag, 0), groups };
    } catch {
      return { available: false };
    }
  }
}
