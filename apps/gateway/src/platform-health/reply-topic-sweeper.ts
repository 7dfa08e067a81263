import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { ReplyTopicJanitor, type KafkaClient } from '@receptionist/messaging';
import { KAFKA, LOGGER, PollLoop, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { GatewayEnv } from '../config';
import { ServiceStatusRepository } from './service-status.repository';

/** Deletes reply topics of requester instances that stopped heartbeating (crashed), every few minutes. */
@Injectable()
export class ReplyTopicSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loop?: PollLoop;

  constructor(@Inject(KAFKA) kafka: KafkaClient, @Inject(LOGGER) logger: Logger, @Inject(SERVICE_CONFIG) config: GatewayEnv, statuses: ServiceStatusRepository) {
    const services = config.REPLY_TOPIC_JANITOR_SERVICES.split(',').filter(Boolean);
    if (services.length === 0) return;
    const janitor = new ReplyTopicJanitor(kafka, {
      logger: logger.child({ component: 'reply-topic-janitor' }),
      services,
      orphanAfterMs: config.REPLY_TOPIC_ORPHAN_MINUTES * 60_000,
      lastHeartbeats: async () => new Map((await statuses.all()).map((h) => [`${h.service}/${h.instanceId}`, Date.parse(h.at)])),
    });
    this.loop = new PollLoop({
      name: 'reply topic janitor',
      intervalMs: 5 * 60_000,
      batchSize: Number.MAX_SAFE_INTEGER,
      round: async () => {
        await janitor.sweep();
        return 0;
      },
      logger,
    });
  }

  onApplicationBootstrap(): void {
    this.loop?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
  }
}
