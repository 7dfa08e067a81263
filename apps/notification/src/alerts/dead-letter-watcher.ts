import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { dlqTopicName } from '@receptionist/contracts';
import { H, TopicTail, type KafkaClient, type TailRecord } from '@receptionist/messaging';
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
  private tail: TopicTail | null = null;

  constructor(
    @Inject(KAFKA) private readonly kafka: KafkaClient,
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
    const tail = new TopicTail(this.kafka, {
      groupId: `${this.service}.dead-letters`,
      topics,
      logger: this.logger,
      onRecord: (record) => this.onDeadLetter(record),
    });
    this.tail = tail;
    this.runtime.registerCheck('alerts.dead-letters', () => ({ ok: tail.isJoined, detail: `${topics.length} dead-letter topics` }));
    await tail.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.tail?.stop();
  }

  /** Joined and fetched once, so what is dead-lettered from now on will be seen (tests wait for this). */
  async waitUntilReady(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.tail) {
      if (Date.now() > until) throw new Error(`dead-letter watcher did not start in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.tail.waitUntilReady(Math.max(0, until - Date.now()));
  }

  private async onDeadLetter({ topic: dlqTopic, offset, headers, value }: TailRecord): Promise<void> {
    if (headers[H.dltOriginalGroup] !== this.service) return;
    const topic = headers[H.dltOriginalTopic] ?? dlqTopic.replace(/\.dlq$/, '');
    const position = `${headers[H.dltOriginalPartition] ?? '?'}:${headers[H.dltOriginalOffset] ?? offset}`;
    const reason = (headers[H.dltExceptionMessage] ?? 'unknown error').slice(0, 300);
    let companyId: string | null = null;
    let messageId: string | null = headers[H.messageId] ?? null;
    try {
      const envelope = JSON.parse(value?.toString('utf8') ?? '') as { id?: unknown; companyId?: unknown };
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
