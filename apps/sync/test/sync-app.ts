import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { Topics } from '@receptionist/contracts';
import { bootstrapService } from '@receptionist/service-runtime';
import { createTestDatabase, freePort, startGroupsAtEnd, testServiceEnv, withEnv } from '@receptionist/testing';
import { AppModule } from '../src/app.module';
import { CALLBACK_TOPICS } from '../src/callbacks/callback-events.handler';
import { syncEnvSchema } from '../src/config';
import { migrations } from '../src/migrations';

export const TEST_SYNC_SECRETS_KEY = randomBytes(32).toString('base64');

export interface TestSync {
  app: NestFastifyApplication;
  database: string;
  service: string;
  close: () => Promise<void>;
}

export async function createSyncDatabase(): Promise<{ database: string; drop: () => Promise<void> }> {
  const db = await createTestDatabase('sync', { entities: [], migrations });
  await db.dataSource.destroy();
  return { database: db.database, drop: db.drop };
}

/**
 * Boots sync in-process against the real MariaDB, Redis and Kafka on a throwaway database, under its own service
 * name (its own consumer groups, starting at the topics' current end). `restart` with the `database` and `service`
 * of an earlier instance starts it again as the same deployment, where its groups left off; a database passed in is
 * the caller's to drop.
 */
export async function startSync(extraEnv: Record<string, string> = {}, options: { database?: string; service?: string; restart?: boolean } = {}): Promise<TestSync> {
  const own = options.database ? undefined : await createSyncDatabase();
  const database = options.database ?? own!.database;
  const service = options.service ?? `sync-test-${randomBytes(3).toString('hex')}`;
  if (!options.restart) {
    await startGroupsAtEnd({ [service]: [...CALLBACK_TOPICS, Topics.bookingSetup.name], [`${service}.${Topics.syncRequest.name}`]: [Topics.syncRequest.name] });
  }
  const env = { ...testServiceEnv(database, await freePort()), SYNC_SECRETS_KEY: TEST_SYNC_SECRETS_KEY, OUTBOX_POLL_MS: '100', ...extraEnv };
  const app: NestFastifyApplication = await withEnv(env, () => bootstrapService(service, (ctx) => AppModule.forRoot(ctx), syncEnvSchema));
  return {
    app,
    database,
    service,
    close: async () => {
      await app.close();
      await own?.drop();
    },
  };
}
