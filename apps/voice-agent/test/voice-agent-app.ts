import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { Topics, voiceFunctionReplySchema, voiceFunctionRequestSchema } from '@receptionist/contracts';
import { RequestClient } from '@receptionist/messaging';
import { bootstrapService } from '@receptionist/service-runtime';
import { createTestDatabase, freePort, silentLogger, startGroupsAtEnd, testKafka, testServiceEnv, uniqueName, withEnv } from '@receptionist/testing';
import { AppModule } from '../src/app.module';
import { voice_agentEnvSchema } from '../src/config';
import { voiceAgentEntities } from '../src/entities';
import { migrations } from '../src/migrations';

/**
 * Boots voice-agent in-process for integration tests (as main.ts does) against the real MariaDB, Redis and
 * Kafka, on a throwaway database. Reusable by other apps' tests (the gateway's end-to-end test):
 *
 *   const voice = await startVoiceAgent({}, { companies: [companyId] });
 *   … requests on voice.function.call (startVoiceRequester, or the gateway) …
 *   await voice.close();
 *
 * Each instance runs under its own service name, so its responder group is its own and starts at the topic's
 * current end; `companies` (ids, or prefixes ending in `*`) restricts what it answers, so parallel test files on
 * the shared broker do not answer each other's calls. Leave it out to serve every company.
 */
export interface TestVoiceAgent {
  app: NestFastifyApplication;
  url: string;
  database: string;
  service: string;
  close: () => Promise<void>;
}

export interface StartVoiceAgentOptions {
  /** Share one database between instances; without it a throwaway one is created and dropped on close. */
  database?: string;
  /** Companies this instance answers for (VOICE_AGENT_SERVE_COMPANIES). */
  companies?: string[];
  /**
   * Run under this service name (its consumer groups) instead of a new one: a restarted instance then resumes
   * where the stopped one left off. A new name starts at the end of every topic it reads.
   */
  service?: string;
}

export async function createVoiceAgentDatabase(): Promise<{ database: string; drop: () => Promise<void> }> {
  const db = await createTestDatabase('voice', { entities: voiceAgentEntities, migrations });
  await db.dataSource.destroy();
  return { database: db.database, drop: db.drop };
}

export async function startVoiceAgent(extraEnv: Record<string, string> = {}, options: StartVoiceAgentOptions = {}): Promise<TestVoiceAgent> {
  const own = options.database ? undefined : await createVoiceAgentDatabase();
  const database = options.database ?? own!.database;
  const port = await freePort();
  const service = options.service ?? `voice-agent-test-${randomBytes(3).toString('hex')}`;
  // New groups start at the end of what they read instead of replaying the topics' retained history (other tests').
  if (!options.service) {
    await startGroupsAtEnd({
      [`${service}.${Topics.voiceFunctionCall.name}`]: [Topics.voiceFunctionCall.name],
      [`${service}.${Topics.voiceCallsRequest.name}`]: [Topics.voiceCallsRequest.name],
      [service]: [Topics.retellCallWebhook.name, Topics.bookingCreated.name],
    });
  }
  const env: Record<string, string> = {
    ...testServiceEnv(database, port),
    ...(options.companies?.length ? { VOICE_AGENT_SERVE_COMPANIES: options.companies.join(',') } : {}),
    ...extraEnv,
  };
  const app: NestFastifyApplication = await withEnv(env, () => bootstrapService(service, (ctx) => AppModule.forRoot(ctx), voice_agentEnvSchema));
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

export type VoiceFunctionRequest = z.input<typeof voiceFunctionRequestSchema>;
export type VoiceFunctionReply = z.infer<typeof voiceFunctionReplySchema>;

/** A request client on `voice.function.call`, as the gateway uses it. */
export interface VoiceRequester {
  client: RequestClient;
  call: (request: VoiceFunctionRequest, timeoutMs?: number) => Promise<VoiceFunctionReply>;
  stop: () => Promise<void>;
}

export async function startVoiceRequester(): Promise<VoiceRequester> {
  const client = new RequestClient(testKafka(), {
    service: 'voice-test-requester',
    instanceId: uniqueName('r'),
    logger: silentLogger,
    deleteReplyTopicOnStop: true,
  });
  await client.start();
  return {
    client,
    call: (request, timeoutMs = 8000) =>
      client.request<VoiceFunctionRequest, VoiceFunctionReply>(
        Topics.voiceFunctionCall.name,
        { key: request.callId ?? null, companyId: request.company?.id ?? null, subject: request.callId ?? null, data: request },
        timeoutMs,
      ),
    stop: () => client.stop(),
  };
}
