import { Inject, Injectable, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Topics, createEnvelope } from '@receptionist/contracts';
import type { ServiceEnv } from '@receptionist/config';
import {
  type KafkaClient,
  EventConsumer,
  MessageProducer,
  MessagingRetention,
  Outbox,
  OutboxRelay,
  RequestClient,
  RequestHandler,
  RequestResponder,
  Subscription,
} from '@receptionist/messaging';
import { ON_EVENT, ON_EVENT_BATCH, ON_REQUEST, OnEventBatchOptions } from './decorators';
import { PollLoop } from './poll-loop';
import { KAFKA, LOGGER, SERVICE_CONFIG, SERVICE_OPTIONS } from './tokens';
import type { ServiceRuntimeOptions } from './service-runtime.module';

export interface HealthCheckResult {
  ok: boolean;
  detail?: string;
}

export interface RegisterCheckOptions {
  /**
   * Whether a failing check makes the instance unready (heartbeat `ready`, /health/ready). Default false: an
   * outside dependency being down (e.g. Cal.com behind an open circuit breaker) is shown to operators, but
   * taking the instance out of service or restarting it would not fix it.
   */
  affectsReadiness?: boolean;
}

/**
 * Owns the service's Kafka side: producer, outbox relay, the consumer of its @OnEvent handlers, responders
 * for its @OnRequest handlers and, if asked, a request client. Starts them after the app is built and
 * stops them in order on shutdown: stop consuming, let in-flight work finish, flush the outbox.
 */
@Injectable()
export class MessagingRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly instanceId: string;
  readonly producer: MessageProducer;
  readonly relay: OutboxRelay;
  readonly outbox: Outbox;
  private consumer?: EventConsumer;
  private readonly responders: RequestResponder[] = [];
  private requestClient?: RequestClient;
  private readonly pruner: PollLoop;
  private heartbeatTimer?: NodeJS.Timeout;
  private lagTimer?: NodeJS.Timeout;
  private started = false;
  private readonly extraChecks = new Map<string, { check: () => HealthCheckResult; affectsReadiness: boolean }>();

  constructor(
    @Inject(KAFKA) private readonly kafka: KafkaClient,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceEnv,
    @Inject(SERVICE_OPTIONS) private readonly options: ServiceRuntimeOptions,
    private readonly dataSource: DataSource,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {
    this.instanceId = config.INSTANCE_ID ?? `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
    this.producer = new MessageProducer(kafka);
    this.relay = new OutboxRelay(kafka, dataSource, {
      service: options.service,
      logger: logger.child({ component: 'outbox-relay' }),
      pollMs: config.OUTBOX_POLL_MS,
    });
    this.outbox = new Outbox(dataSource, options.service);
    this.outbox.onCommitted(() => this.relay.wake());
    const retention = new MessagingRetention(dataSource, {
      logger: logger.child({ component: 'messaging-retention' }),
      outboxRetentionMs: config.OUTBOX_RETENTION_HOURS * 3_600_000,
      inboxRetentionMs: config.INBOX_RETENTION_DAYS * 86_400_000,
    });
    // Keeps outbox_message and processed_message bounded (issue 13: they grew without end).
    this.pruner = new PollLoop({
      name: 'messaging retention',
      intervalMs: config.MESSAGING_PRUNE_INTERVAL_MS,
      batchSize: Number.MAX_SAFE_INTEGER,
      round: async () => {
        await retention.pruneOnce();
        return 0;
      },
      logger,
    });
  }

  get client(): RequestClient {
    if (!this.requestClient) throw new Error(`${this.options.service} was not configured with a request client`);
    return this.requestClient;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.producer.connect();
    this.relay.start();
    const { events, requests } = this.discoverHandlers();
    if (events.length > 0) {
      this.consumer = new EventConsumer(this.kafka, this.producer, {
        groupId: this.options.service,
        subscriptions: events,
        logger: this.logger.child({ component: 'consumer' }),
      });
      await this.consumer.start();
      this.lagTimer = setInterval(() => void this.consumer?.reportLag(this.kafka).catch(() => undefined), 15000);
    }
    for (const { topic, handler } of requests) {
      const responder = new RequestResponder(this.kafka, {
        groupId: `${this.options.service}.${topic}`,
        topic,
        handler,
        logger: this.logger.child({ component: 'responder', topic }),
      });
      await responder.start();
      this.responders.push(responder);
    }
    if (this.options.requestClient) {
      this.requestClient = new RequestClient(this.kafka, {
        service: this.options.service,
        instanceId: this.instanceId,
        logger: this.logger.child({ component: 'request-client' }),
        deleteReplyTopicOnStop: !this.config.INSTANCE_ID,
      });
      await this.requestClient.start();
    }
    this.started = true;
    this.pruner.start();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), 10000);
    void this.heartbeat();
  }

  /**
   * Adds a check of the service's own (e.g. `calcom.breaker`) to its heartbeat's `checks`, so operators see it in
   * the gateway's health views. The function is called for every heartbeat and must be cheap and synchronous.
   */
  registerCheck(name: string, check: () => HealthCheckResult, options: RegisterCheckOptions = {}): void {
    this.extraChecks.set(name, { check, affectsReadiness: options.affectsReadiness ?? false });
  }

  /** The registered checks (see registerCheck); a throwing check reports not ok. */
  contributedChecks(filter: 'readiness' | 'informational' | 'all' = 'all'): Record<string, HealthCheckResult> {
    const parts: Record<string, HealthCheckResult> = {};
    for (const [name, { check, affectsReadiness }] of this.extraChecks) {
      if (filter !== 'all' && affectsReadiness !== (filter === 'readiness')) continue;
      try {
        const result = check();
        parts[name] = result.detail === undefined ? { ok: result.ok } : { ok: result.ok, detail: result.detail };
      } catch {
        parts[name] = { ok: false, detail: 'check failed' };
      }
    }
    return parts;
  }

  /** Readiness of the Kafka side, per part (plus registered checks that affect readiness). */
  status(): Record<string, { ok: boolean; detail?: string }> {
    const parts: Record<string, { ok: boolean; detail?: string }> = {
      'kafka.producer': { ok: this.producer.isConnected },
    };
    if (this.consumer) parts['kafka.consumer'] = { ok: this.consumer.isReady, detail: `group ${this.consumer.groupId}` };
    for (const r of this.responders) parts[`kafka.responder.${r.topic}`] = { ok: r.isReady };
    if (this.options.requestClient) parts['kafka.request-client'] = { ok: !!this.requestClient?.isReady };
    parts['outbox.relay'] = { ok: this.started, detail: this.relay.isLeader ? 'active' : 'standby' };
    return { ...parts, ...this.contributedChecks('readiness') };
  }

  private async heartbeat(leaving = false): Promise<void> {
    try {
      const readiness = this.status();
      const checks = { ...readiness, ...this.contributedChecks('informational') };
      await this.producer.publish({
        topic: Topics.serviceHeartbeat.name,
        key: this.options.service,
        envelope: createEnvelope({
          type: Topics.serviceHeartbeat.name,
          source: this.options.service,
          companyId: null,
          subject: this.instanceId,
          data: {
            service: this.options.service,
            instanceId: this.instanceId,
            ready: !leaving && Object.values(readiness).every((c) => c.ok),
            checks,
            ...(leaving ? { leaving: true } : {}),
            outboxBacklog: await this.relay.backlog(),
            at: new Date().toISOString(),
          },
        }),
      });
    } catch (error) {
      this.logger.debug({ err: error }, 'heartbeat not published');
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    clearInterval(this.lagTimer);
    await this.pruner.stop();
    await this.requestClient?.stop().catch((e) => this.logger.warn({ err: e }, 'request client stop failed'));
    for (const r of this.responders) await r.stop().catch((e) => this.logger.warn({ err: e }, 'responder stop failed'));
    await this.consumer?.stop().catch((e) => this.logger.warn({ err: e }, 'consumer stop failed'));
    await this.relay.stop({ flush: true, deadlineMs: Math.max(1000, this.config.SHUTDOWN_TIMEOUT_MS - 2000) });
    if (this.started) await this.heartbeat(true);
    await this.producer.disconnect();
  }

  private discoverHandlers() {
    const events: Subscription[] = [];
    const batches: (OnEventBatchOptions & { topic: string; handler: NonNullable<Subscription['batchHandler']> })[] = [];
    const requests: { topic: string; handler: RequestHandler }[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance);
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const method = instance[name] as (...args: unknown[]) => Promise<unknown>;
        const eventTopic = this.reflector.get<string>(ON_EVENT, method);
        if (eventTopic) events.push({ topic: eventTopic, handler: (env, ctx) => method.call(instance, env, ctx) as Promise<void> });
        const batch = this.reflector.get<OnEventBatchOptions & { topic: string }>(ON_EVENT_BATCH, method);
        if (batch) batches.push({ ...batch, handler: (envs, ctx) => method.call(instance, envs, ctx) as Promise<void> });
        const requestTopic = this.reflector.get<string>(ON_REQUEST, method);
        if (requestTopic) requests.push({ topic: requestTopic, handler: (env, deadline) => method.call(instance, env, deadline) });
      }
    }
    for (const batch of batches) {
      // The batch handler falls back to the per-message one, so it cannot exist alone.
      const subscription = events.find((e) => e.topic === batch.topic);
      if (!subscription) throw new Error(`@OnEventBatch('${batch.topic}') needs an @OnEvent('${batch.topic}') handler to fall back to`);
      subscription.batchHandler = batch.handler;
      subscription.maxBatchSize = batch.maxBatchSize;
    }
    return { events, requests };
  }
}
