import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { Topics } from '@receptionist/contracts';
import { KAFKA, LOGGER, MessagingRuntime } from '@receptionist/service-runtime';
import { CatalogueCache } from './catalogue';

/**
 * Drops a company's cached catalogue as soon as booking reports a new booking set-up applied
 * (`company.setup.applied`, part booking), so the next voice function sees an edit made through the set-up API.
 * Every instance holds its own cache, so every instance reads every answer: its own consumer group, from the end.
 */
@Injectable()
export class CatalogueInvalidation implements OnApplicationBootstrap, OnApplicationShutdown {
  private consumer: Consumer | null = null;
  private readonly groupId: string;

  constructor(
    private readonly cache: CatalogueCache,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(LOGGER) private readonly logger: Logger,
    messaging: MessagingRuntime,
  ) {
    this.groupId = `voice-agent.catalogue.${messaging.instanceId}`;
  }

  async onApplicationBootstrap(): Promise<void> {
    // Not waited for: joining takes seconds, and an answer missed meanwhile only leaves the minute's cache to expire.
    const consumer = (this.consumer = this.kafka.consumer({ groupId: this.groupId, allowAutoTopicCreation: false }));
    await consumer.connect();
    await consumer.subscribe({ topics: [Topics.setupApplied.name], fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ message }) => {
        try {
          const envelope = JSON.parse(message.value?.toString('utf8') ?? 'null') as { data?: { companyId?: unknown; part?: unknown } } | null;
          if (envelope?.data?.part === 'booking' && typeof envelope.data.companyId === 'string') this.cache.forget(envelope.data.companyId);
        } catch {
          // not ours to judge: the gateway's consumer reports malformed answers
        }
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.consumer) return;
    await this.consumer.disconnect().catch(() => undefined);
    // the group belongs to this instance only: leave nothing behind on the broker
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.groupId]);
    } catch (error) {
      this.logger.debug({ err: error, groupId: this.groupId }, 'catalogue invalidation group not deleted');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
