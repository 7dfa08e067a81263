import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown, Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import Redis from 'ioredis';
import type { Logger } from 'pino';
import type { EntitySchema, MixedList } from 'typeorm';
import { kafkaSecurityFrom, type ServiceEnv } from '@receptionist/config';
import { OutboxMessageEntity, ProcessedMessageEntity, createKafka, Inbox } from '@receptionist/messaging';
import { DataSource } from 'typeorm';
import { HealthController } from './health.controller';
import { MetricsServer } from './metrics-server';
import { MessagingRuntime } from './messaging.runtime';
import { KAFKA, LOGGER, REDIS, SERVICE_CONFIG, SERVICE_OPTIONS } from './tokens';
import { Outbox } from '@receptionist/messaging';

export interface ServiceRuntimeOptions {
  service: string;
  config: ServiceEnv;
  logger: Logger;
  /** The service's own entities; outbox and processed-message entities are added. */
  entities?: MixedList<Function | string | EntitySchema>;
  /** The service's migrations, in order (the messaging tables migration first). */
  migrations: MixedList<Function | string>;
  /** Create a request client (a reply topic for this instance) for request-reply calls. */
  requestClient?: boolean;
  /**
   * false for a service whose port is public (the gateway): without METRICS_PORT it serves no metrics at all,
   * rather than /metrics on its public port. Default true (internal services keep /metrics on PORT when unset).
   */
  metricsOnServicePort?: boolean;
}

/**
 * Everything a service needs to run: validated config, logger, its own MySQL database (migrations only,
 * never schema sync), Redis, Kafka with outbox/inbox, health and /metrics endpoints.
 */
/** Closes the shared Redis connection when the app closes (processes exit anyway; tests and embedders do not). */
@Injectable()
class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

@Global()
@Module({})
export class ServiceRuntimeModule {
  static forRoot(options: ServiceRuntimeOptions): DynamicModule {
    const { config, logger } = options;
    const providers: Provider[] = [
      { provide: SERVICE_OPTIONS, useValue: options },
      { provide: SERVICE_CONFIG, useValue: config },
      { provide: LOGGER, useValue: logger },
      {
        provide: REDIS,
        useFactory: () =>
          new Redis({
            host: config.REDIS_HOST,
            port: config.REDIS_PORT,
            password: config.REDIS_PASSWORD,
            db: config.REDIS_DB,
            lazyConnect: false,
            maxRetriesPerRequest: 2,
            enableOfflineQueue: false,
            connectionName: options.service,
          }),
      },
      {
        provide: KAFKA,
        useFactory: () =>
          createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID ?? options.service, logger, security: kafkaSecurityFrom(config) }),
      },
      RedisLifecycle,
      MetricsServer,
      MessagingRuntime,
      { provide: Outbox, useFactory: (m: MessagingRuntime) => m.outbox, inject: [MessagingRuntime] },
      { provide: Inbox, useFactory: (ds: DataSource) => new Inbox(ds), inject: [DataSource] },
    ];
    return {
      module: ServiceRuntimeModule,
      imports: [
        DiscoveryModule,
        TypeOrmModule.forRoot({
          type: 'mysql',
          host: config.DB_HOST,
          port: config.DB_PORT,
          username: config.DB_USERNAME,
          password: config.DB_PASSWORD,
          database: config.DB_DATABASE,
          entities: [OutboxMessageEntity, ProcessedMessageEntity, ...((options.entities as unknown[]) ?? [])] as never,
          migrations: options.migrations,
          synchronize: false,
          migrationsRun: false,
          timezone: 'Z',
          extra: { connectionLimit: config.DB_POOL_SIZE },
          retryAttempts: 3,
          retryDelay: 1000,
        }),
      ],
      controllers: [HealthController],
      providers,
      exports: [SERVICE_CONFIG, LOGGER, REDIS, KAFKA, MessagingRuntime, Outbox, Inbox],
    };
  }
}
