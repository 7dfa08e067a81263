import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { KAFKA, MessagingRuntime, REDIS } from '@receptionist/service-runtime';
import { SERVICE_NAMES } from '@receptionist/contracts';
import { RequireAbility } from '../auth/principal';
import { ServiceStatusRepository } from './service-status.repository';

type Check = { ok: boolean; latencyMs: number; detail?: string };

async function probe(fn: () => Promise<unknown>, timeoutMs = 2000): Promise<Check> {
  const started = Date.now();
  try {
    await Promise.race([fn(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), timeoutMs))]);
    return { ok: true, latencyMs: Date.now() - started };
  } catch (error) {
    // The reason is a short, fixed phrase: no driver messages, versions or hosts reach a response.
    return { ok: false, latencyMs: Date.now() - started, detail: (error as Error).message === 'timed out' ? 'timed out' : 'unreachable' };
  }
}

/**
 * Operator views of the whole platform. Liveness stays public at GET /api/health; these need a token with
 * the `health.read` ability (platform operators).
 */
@Controller('api/health')
export class PlatformHealthController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(KAFKA) private readonly kafka: Kafka,
    private readonly messaging: MessagingRuntime,
    private readonly statuses: ServiceStatusRepository,
  ) {}

  @Get('detailed')
  @RequireAbility('health.read')
  async detailed(@Res() reply: FastifyReply) {
    const [mysql, redis, kafka, instances] = await Promise.all([
      probe(() => this.dataSource.query('SELECT 1')),
      probe(() => this.redis.ping()),
      probe(async () => {
        const admin = this.kafka.admin();
        await admin.connect();
        try {
          await admin.describeCluster();
        } finally {
          await admin.disconnect();
        }
      }),
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
    const healthy = mysql.ok && redis.ok && kafka.ok && Object.values(services).every((s) => s.ready);
    reply.status(healthy ? 200 : 503).send({
      status: healthy ? 'healthy' : 'degraded',
      time: new Date().toISOString(),
      dependencies: { mysql, redis, kafka },
      gateway: this.messaging.status(),
      services,
      outboxBacklog: Object.fromEntries(Object.entries(services).map(([n, s]) => [n, s.instances.reduce((sum, i) => sum + i.outboxBacklog, 0)])),
    });
  }
}
