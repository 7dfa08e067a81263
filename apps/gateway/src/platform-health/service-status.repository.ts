import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { GatewayEnv } from '../config';
import type { z } from 'zod';
import type { serviceHeartbeatSchema } from '@receptionist/contracts';

export type Heartbeat = z.infer<typeof serviceHeartbeatSchema>;

/** Heartbeats come every 10 s; an instance silent for three of them counts as gone. */
export const STALE_AFTER_MS = 30_000;

/**
 * Last heartbeat of every service instance, in Redis so that every gateway instance reports the same view
 * whichever of them consumed the heartbeat.
 */
@Injectable()
export class ServiceStatusRepository {
  private readonly key: string;

  constructor(@Inject(REDIS) private readonly redis: Redis, @Inject(SERVICE_CONFIG) config: GatewayEnv) {
    this.key = config.PLATFORM_HEALTH_KEY ?? 'platform:heartbeats';
  }

  async record(heartbeat: Heartbeat): Promise<void> {
    const field = `${heartbeat.service}/${heartbeat.instanceId}`;
    if (heartbeat.leaving) await this.redis.hdel(this.key, field);
    else await this.redis.hset(this.key, field, JSON.stringify(heartbeat));
  }

  async all(now = Date.now()): Promise<(Heartbeat & { stale: boolean })[]> {
    const raw = await this.redis.hgetall(this.key);
    const list: (Heartbeat & { stale: boolean })[] = [];
    const gone: string[] = [];
    for (const [field, value] of Object.entries(raw)) {
      const hb = JSON.parse(value) as Heartbeat;
      const age = now - Date.parse(hb.at);
      if (age > 10 * STALE_AFTER_MS) gone.push(field);
      else list.push({ ...hb, stale: age > STALE_AFTER_MS });
    }
    if (gone.length) await this.redis.hdel(this.key, ...gone);
    return list.sort((a, b) => a.service.localeCompare(b.service) || a.instanceId.localeCompare(b.instanceId));
  }
}
