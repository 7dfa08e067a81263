import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { createEnvelope, Topics } from '@receptionist/contracts';
import { MessageProducer } from '@receptionist/messaging';
import { bootstrapService } from '@receptionist/service-runtime';
import { createTestDatabase, freePort, startGroupsAtEnd, testKafka, testServiceEnv, withEnv } from '@receptionist/testing';
import { AppModule } from '../src/app.module';
import { notificationEnvSchema } from '../src/config';
import { migrations } from '../src/migrations';

/**
 * Boots the notification service in-process for integration tests (as main.ts does) against the real MariaDB,
 * Redis and Kafka, on a throwaway database (or a shared one, for two instances or a restart). Each instance runs
 * under its own service name, so its consumer group is its own, and starts at the topics' current end.
 * `companies` restricts what it handles (NOTIFICATION_SERVE_COMPANIES), so test files sharing the broker do not
 * message each other's customers.
 */
export interface TestNotification {
  app: NestFastifyApplication;
  url: string;
  database: string;
  service: string;
  close: () => Promise<void>;
}

export const TEST_TWILIO_SID = `AC${'0123456789abcdef'.repeat(2)}`;
export const TEST_TWILIO_TOKEN = 'test-twilio-auth-token';
export const TEST_FROM = '+4930555000111';

export async function createNotificationDatabase(): Promise<{ database: string; drop: () => Promise<void> }> {
  const db = await createTestDatabase('notification', { entities: [], migrations });
  await db.dataSource.destroy();
  return { database: db.database, drop: db.drop };
}

const CONSUMED = [
  Topics.bookingCreated.name,
  Topics.bookingRescheduled.name,
  Topics.bookingCancelled.name,
  Topics.notificationSetup.name,
  Topics.twilioMessageStatus.name,
  Topics.twilioMessageInbound.name,
  Topics.balanceLow.name,
  Topics.notificationFailed.name,
  Topics.teamInvitationCreated.name,
  Topics.passwordResetRequested.name,
];

export interface StartNotificationOptions {
  database?: string;
  companies?: string[];
  /** Reuse a consumer group (a restarted instance continues where the previous one stopped). */
  service?: string;
}

export async function startNotification(extraEnv: Record<string, string> = {}, options: StartNotificationOptions = {}): Promise<TestNotification> {
  const own = options.database ? undefined : await createNotificationDatabase();
  const database = options.database ?? own!.database;
  const port = await freePort();
  const service = options.service ?? `notification-test-${randomBytes(3).toString('hex')}`;
  if (!options.service) await startGroupsAtEnd({ [service]: CONSUMED });
  const env: Record<string, string> = {
    ...testServiceEnv(database, port),
    TWILIO_SID: TEST_TWILIO_SID,
    TWILIO_AUTH_TOKEN: TEST_TWILIO_TOKEN,
    TWILIO_FROM_NUMBER: TEST_FROM,
    NOTIFICATION_POLL_MS: '100',
    NOTIFICATION_RETRY_BASE_MS: '100',
    OUTBOX_POLL_MS: '100',
    ...(options.companies?.length ? { NOTIFICATION_SERVE_COMPANIES: options.companies.join(',') } : {}),
    ...extraEnv,
  };
  const app: NestFastifyApplication = await withEnv(env, () => bootstrapService(service, (ctx) => AppModule.forRoot(ctx), notificationEnvSchema));
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    database,
    service,
    close: async () => {
      await app.close();
      await own?.drop();
    },
  };
}

/** Publishes test facts as their owners would (envelope, catalogue key). */
export class TestPublisher {
  private readonly producer = new MessageProducer(testKafka());

  async start() {
    await this.producer.connect();
    return this;
  }

  async publish(topic: string, key: string, companyId: string | null, data: unknown, id?: string): Promise<string> {
    const envelope = createEnvelope({ id, type: topic, source: 'test', companyId, subject: key, data });
    await this.producer.publish({ topic, key, envelope });
    return envelope.id;
  }

  async stop() {
    await this.producer.disconnect();
  }
}
