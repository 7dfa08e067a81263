import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Kafka } from 'kafkajs';
import { spawn, ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { BillingReply, BillingRequest, Topics, createEnvelope, messageIdFrom } from '@receptionist/contracts';
import { MessageProducer, RequestClient } from '@receptionist/messaging';
import { bootstrapService } from '@receptionist/service-runtime';
import { createTestDatabase, freePort, silentLogger, startGroupsAtEnd, testKafka, testServiceEnv, uniqueName, withEnv } from '@receptionist/testing';

export { freePort } from '@receptionist/testing';
import { AppModule } from '../src/app.module';
import { billingEnvSchema } from '../src/config';
import { migrations } from '../src/migrations';

/**
 * Boots billing for integration tests against the real MariaDB, Redis and Kafka on a throwaway database, either
 * in-process (`startBilling`) or as a separate process that can be SIGKILLed (`spawnBilling`). Each test instance
 * runs under its own service name (its own consumer groups), starting at the topics' current end.
 */
export interface TestBilling {
  app: NestFastifyApplication;
  url: string;
  database: string;
  service: string;
  close: () => Promise<void>;
}

export async function createBillingDatabase(): Promise<{ database: string; drop: () => Promise<void> }> {
  const db = await createTestDatabase('billing', { entities: [], migrations });
  await db.dataSource.destroy();
  return { database: db.database, drop: db.drop };
}

/** Billing's consumer groups start at the topics' current end (no replay of other tests' history). */
export function startBillingGroupsAtEnd(service: string): Promise<void> {
  return startGroupsAtEnd({
    [service]: [Topics.callCompleted.name, Topics.billingSetup.name, Topics.stripeEventReceived.name],
    [`${service}.${Topics.billingRequest.name}`]: [Topics.billingRequest.name],
  });
}

function baseEnv(database: string, port: number): Record<string, string> {
  return {
    ...testServiceEnv(database, port),
    BILLING_INVOICE_RUN_INTERVAL_MS: '0',
    BILLING_RERATE_INTERVAL_MS: '500',
    OUTBOX_POLL_MS: '100',
    // Never the real Frankfurter API from a test; tests of the rates pass their own simulator's URL.
    EXCHANGE_RATES_URL: 'http://127.0.0.1:4060/v1',
  };
}

/** `companies`: the only companies whose billing.request this instance answers (BILLING_SERVE_COMPANIES). */
export async function startBilling(extraEnv: Record<string, string> = {}, options: { database?: string; service?: string; companies?: string[] } = {}): Promise<TestBilling> {
  const own = options.database ? undefined : await createBillingDatabase();
  const database = options.database ?? own!.database;
  const port = await freePort();
  const service = options.service ?? `billing-test-${randomBytes(3).toString('hex')}`;
  if (!options.service) await startBillingGroupsAtEnd(service);
  const env = { ...baseEnv(database, port), ...(options.companies?.length ? { BILLING_SERVE_COMPANIES: options.companies.join(',') } : {}), ...extraEnv };
  const app: NestFastifyApplication = await withEnv(env, () => bootstrapService(service, (ctx) => AppModule.forRoot(ctx), billingEnvSchema));
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

/** Billing as its own process (apps/billing/test/billing-main.ts), to be killed with SIGKILL mid-work. */
export async function spawnBilling(database: string, service: string, extraEnv: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const port = await freePort();
  const root = path.resolve(__dirname, '../../..');
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(root, 'apps/billing/test/billing-main.ts')], {
    cwd: root,
    env: { ...process.env, ...baseEnv(database, port), BILLING_TEST_SERVICE: service, ...extraEnv },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`billing process exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/health/ready`).then((r) => r.ok).catch(() => false);
    if (ready) break;
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error('billing process not ready in 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, url, exited };
}

/** Produces envelopes as their owners would (voice-agent's call.completed, the gateway's set-up and Stripe events). */
export class TestPublisher {
  private readonly producer: MessageProducer;
  /** On the shared broker unless given another client (a test's PrivateKafka). */
  constructor(kafka: Kafka = testKafka()) {
    this.producer = new MessageProducer(kafka);
  }
  async start() {
    await this.producer.connect();
    return this;
  }
  async stop() {
    await this.producer.disconnect();
  }

  async billingSetup(companyId: string, pricing: Partial<{ perMinuteMinor: number; perBookingMinor: number; lowBalanceThresholdMinor: number; topUpMinor: number; autoTopUp: boolean; partnerCompanyId: string | null }>, currency: 'EUR' | 'USD' | 'GBP' = 'EUR') {
    const data = {
      companyId,
      revision: randomUUID(),
      currency,
      pricing: { perMinuteMinor: 12, perBookingMinor: 0, lowBalanceThresholdMinor: 1000, topUpMinor: 5000, autoTopUp: false, ...pricing },
    };
    await this.producer.publish({
      topic: Topics.billingSetup.name,
      key: companyId,
      envelope: createEnvelope({ type: Topics.billingSetup.name, source: 'gateway', companyId, subject: data.revision, data }),
    });
  }

  /** A call.completed envelope (publish it with `publish`, as often as a redelivery would). */
  callCompleted(companyId: string, callId: string, billableSeconds: number, endedAt = new Date(), bookingIds: string[] = []) {
    return createEnvelope({
      type: Topics.callCompleted.name,
      source: 'voice-agent',
      companyId,
      subject: callId,
      data: {
        callId,
        agentId: 'agent_test',
        fromNumber: '+4930123456',
        toNumber: '+4930999999',
        direction: 'inbound',
        startedAt: new Date(endedAt.getTime() - billableSeconds * 1000).toISOString(),
        endedAt: endedAt.toISOString(),
        durationSeconds: billableSeconds,
        billableSeconds,
        disconnectionReason: 'user_hangup',
        bookingIds,
      },
    });
  }

  async publish(envelope: ReturnType<typeof createEnvelope>, topic = envelope.type, key = envelope.subject) {
    await this.producer.publish({ topic, key, envelope });
  }

  /** What the gateway publishes for a verified Stripe webhook (same envelope id for the same event id). */
  async stripeEvent(event: Record<string, any>) {
    const id = messageIdFrom(`stripe-event:${event.id}`);
    const object = event.data?.object ?? {};
    await this.producer.publish({
      topic: Topics.stripeEventReceived.name,
      key: object.customer ?? object.id ?? event.id,
      envelope: createEnvelope({
        id,
        type: Topics.stripeEventReceived.name,
        source: 'gateway',
        companyId: null,
        subject: event.id,
        data: {
          eventId: event.id,
          type: event.type,
          livemode: false,
          created: event.created,
          objectId: object.id ?? null,
          customerId: typeof object.customer === 'string' ? object.customer : null,
          receivedAt: new Date().toISOString(),
          event,
        },
      }),
    });
  }
}

/** A request client on `billing.request`, as the gateway uses it. */
export async function startBillingRequester(): Promise<{ ask: (r: BillingRequest, timeoutMs?: number) => Promise<BillingReply>; stop: () => Promise<void> }> {
  const client = new RequestClient(testKafka(), { service: 'billing-test-requester', instanceId: uniqueName('r'), logger: silentLogger, deleteReplyTopicOnStop: true });
  await client.start();
  return {
    ask: (request, timeoutMs = 15_000) =>
      client.request<BillingRequest, BillingReply>(Topics.billingRequest.name, { key: request.companyId, companyId: request.companyId, subject: null, data: request }, timeoutMs),
    stop: () => client.stop(),
  };
}
