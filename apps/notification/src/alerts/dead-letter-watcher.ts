import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { dlqTopicName } from '@receptionist/contracts';
import { H, headerString } from '@receptionist/messaging';
import { KAFKA, LOGGER, MessagingRuntime, ON_EVENT } from '@receptionist/service-runtime';
import { CompanyFilter } from '../common/company-filter';
import { AlertsService } from './alerts.service';

const ATTEMPTS = 3;
export const SERVICE_NAME = Symbol('NOTIFICATION_SERVICE_NAME');

/**
 * Alerts on every message this service dead-lettered. The consumer (libs/messaging) moves a message it cannot handle
 * to `<topic>.dlq` with `kafka_dlt-*` headers; other services consuming the same topic share that DLQ, so this
 * watcher reads the DLQs of this service's own @OnEvent topics in a group of its own and keeps only the records
 * whose original consumer group is this service. It starts at the end (a first deployment does not alert on
 * history); one alert per original topic, partition and offset, however often it is read.
 */
@Injectable()
export class DeadLetterWatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: Consumer | null = null;
  private joined = false;
  private fetched = false;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(SERVICE_NAME) private readonly service: string,
    private readonly alerts: AlertsService,
    private readonly dataSource: DataSource,
    private readonly filter: CompanyFilter,
    private readonly runtime: MessagingRuntime,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The DLQs of the topics this service's @OnEvent handlers consume. */
  watchedTopics(): string[] {
    const topics = new Set<string>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      for (const name of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
        const topic = this.reflector.get<string>(ON_EVENT, instance[name] as () => unknown);
        if (topic) topics.add(dlqTopicName(topic));
      }
    }
    return [...topics].sort();
  }

  async onApplicationBootstrap(): Promise<void> {
    const topics = this.watchedTopics();
    if (topics.length === 0) return;
    const consumer = this.kafka.consumer({ groupId: `${this.service}.dead-letters`, maxWaitTimeInMs: 250, allowAutoTopicCreation: false });
    consumer.on(consumer.events.GROUP_JOIN, () => (this.joined = true));
    consumer.on(consumer.events.REBALANCING, () => (this.joined = false));
    consumer.on(consumer.events.FETCH, () => (this.fetched = this.joined));
    this.consumer = consumer;
    this.runtime.registerCheck('alerts.dead-letters', () => ({ ok: this.joined, detail: `${topics.length} dead-letter topics` }));
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: false });
    await consumer.run({ eachMessage: ({ topic, message }) => this.onDeadLetter(topic, message) });
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.disconnect().catch((e) => this.logger.warn({ err: e }, 'dead-letter watcher stop failed'));
  }

  /** Joined and fetched once, so what is dead-lettered from now on will be seen (tests wait for this). */
  async waitUntilReady(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!(this.joined && this.fetched)) {
      if (Date.now() > until) throw new Error(`dead-letter watcher did not join in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async onDeadLetter(dlqTopic: string, message: KafkaMessage): Promise<void> {
    if (headerString(message.headers, H.dltOriginalGroup) !== this.service) return;
    const topic = headerString(message.headers, H.dltOriginalTopic) ?? dlqTopic.replace(/\.dlq$/, '');
    const position = `${headerString(message.headers, H.dltOriginalPartition) ?? '?'}:${headerString(message.headers, H.dltOriginalOffset) ?? message.offset}`;
    const reason = (headerString(message.headers, H.dltExceptionMessage) ?? 'unknown error').slice(0, 300);
    let companyId: string | null = null;
    let messageId: string | null = headerString(message.headers, H.messageId) ?? null;
    try {
      const envelope = JSON.parse(message.value?.toString('utf8') ?? '') as { id?: unknown; companyId?: unknown };
      if (typeof envelope.companyId === 'string' && envelope.companyId) companyId = envelope.companyId;
      if (typeof envelope.id === 'string') messageId = envelope.id;
    } catch {
      // Not JSON (which may be why it was dead-lettered): an alert for operators only.
    }
    if (!this.filter.serves(companyId)) return;
    // An alert must not stop the watcher: after a few tries it is logged and left (the dead letter stays in its topic).
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const raised = await this.dataSource.transaction((manager) =>
          this.alerts.raise(manager, { companyId, dedupeKey: `dead-letter:${topic}:${position}`, facts: { kind: 'dead_letter', topic, reason, messageId } }),
        );
        this.alerts.raised(raised, { companyId, topic, position });
        return;
      } catch (error) {
        if (attempt === ATTEMPTS) this.logger.error({ err: error, topic, position }, 'dead-letter alert not recorded');
        else await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }
}
