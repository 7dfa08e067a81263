import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { Topics } from '@receptionist/contracts';
import { TopicTail, type KafkaClient } from '@receptionist/messaging';
import { KAFKA, LOGGER, MessagingRuntime } from '@receptionist/service-runtime';
import { CatalogueCache } from './catalogue';

/**
 * Drops a company's cached catalogue as soon as booking reports a new booking set-up applied
 * (`company.setup.applied`, part booking), so the next voice function sees an edit made through the set-up API.
 * Every instance holds its own cache, so every instance reads every answer: its own group, from the end. Start-up
 * does not wait for the group to join: an answer missed meanwhile only leaves the minute's cache to expire.
 */
@Injectable()
export class CatalogueInvalidation implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly tail: TopicTail;

  constructor(
    private readonly cache: CatalogueCache,
    @Inject(KAFKA) kafka: KafkaClient,
    @Inject(LOGGER) logger: Logger,
    messaging: MessagingRuntime,
  ) {
    this.tail = new TopicTail(kafka, {
      // the group belongs to this instance only: deleted on stop, so nothing is left behind on the broker
      groupId: `voice-agent.catalogue.${messaging.instanceId}`,
      topics: [Topics.setupApplied.name],
      deleteGroupOnStop: true,
      logger,
      onRecord: (record) => this.drop(record.value),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.tail.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.tail.stop();
  }

  private drop(value: Buffer | null): void {
    let envelope: { data?: { companyId?: unknown; part?: unknown } } | null;
    try {
      envelope = JSON.parse(value?.toString('utf8') ?? 'null');
    } catch {
      return; // not ours to judge: the gateway's consumer reports malformed answers
    }
    if (envelope?.data?.part === 'booking' && typeof envelope.data.companyId === 'string') this.cache.forget(envelope.data.companyId);
  }
}
