import { Controller, Get, Header, HttpCode, Inject, NotFoundException, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { registry } from '@receptionist/observability';
import { MessagingRuntime } from './messaging.runtime';
import { REDIS, SERVICE_OPTIONS } from './tokens';
import type { ServiceRuntimeOptions } from './service-runtime.module';
import { Public } from './public.decorator';

type Check = { ok: boolean; detail?: string };

async function timed(fn: () => Promise<unknown>, timeoutMs = 1500): Promise<Check> {
  try {
    await Promise.race([fn(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), timeoutMs))]);
    return { ok: true };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

/**
 * Probes (and, for internal services without METRICS_PORT, metrics) are open (no credentials): they are marked public
 * for any auth guard a service installs.
 */
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly messaging: MessagingRuntime,
    @Inject(SERVICE_OPTIONS) private readonly options: ServiceRuntimeOptions,
  ) {}

  /** Liveness: the process answers. Restarting it would not fix a dependency being down. */
  @Get('health/live')
  @HttpCode(200)
  live() {
    return { status: 'ok', service: this.options.service };
  }

  /** Readiness: database reachable and migrated, Redis answering, Kafka parts connected and joined. */
  @Get('health/ready')
  async ready(@Res() reply: FastifyReply) {
    const checks: Record<string, Check> = {
      database: await timed(() => this.dataSource.query('SELECT 1')),
      migrations: await timed(async () => {
        if (await this.dataSource.showMigrations()) throw new Error('pending migrations: run apps/<service>/src/migrate (image: `receptionist migrate`)');
      }),
      redis: await timed(() => this.redis.ping()),
      ...this.messaging.status(),
    };
    const ok = Object.values(checks).every((c) => c.ok);
    reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', service: this.options.service, instance: this.messaging.instanceId, checks });
  }

  /** Only when the service has no METRICS_PORT and its port is not public (see MetricsServer). */
  @Get('metrics')
  @Header('Content-Type', registry.contentType)
  metrics() {
    if (this.options.config.METRICS_PORT || this.options.metricsOnServicePort === false) throw new NotFoundException();
    return registry.metrics();
  }
}
