import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { LookupFunction } from 'node:net';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import { Counter, Histogram } from 'prom-client';
import { getOrCreateMetric, registry } from '@receptionist/observability';
import { LOGGER, MessagingRuntime, PollLoop, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { SyncEnv } from '../config';
import { CallbackTargetRefused, ResolvedTarget, resolveTarget } from './callback-target';
import { SecretBox, signCallback } from './callback-signature';
import { CallbacksRepository, DeliveryRow, SubscriptionRow } from './callbacks.repository';

export const USER_AGENT = 'AI-Receptionist-Webhooks/1.0';
const MAX_DELAY_MS = 12 * 60 * 60 * 1000;

const attempts = () =>
  getOrCreateMetric('sync_callback_attempts_total', () =>
    new Counter({
      name: 'sync_callback_attempts_total',
      help: 'Callback webhook attempts, by outcome (delivered, retry, failed, refused)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  );
const attemptDuration = () =>
  getOrCreateMetric('sync_callback_attempt_duration_seconds', () =>
    new Histogram({
      name: 'sync_callback_attempt_duration_seconds',
      help: "Time a tenant's endpoint took to answer one callback attempt",
      labelNames: ['outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  );

type Outcome =
  | { kind: 'delivered'; statusCode: number }
  | { kind: 'gone'; statusCode: number }
  | { kind: 'refused'; error: string }
  | { kind: 'error'; statusCode: number | null; error: string };

/** The delay before attempt `n + 1` after `n` failed ones: base · 4^(n−1), capped at 12 h, ±10 % so retries spread. */
export function retryDelayMs(failedAttempts: number, baseMs: number, random = Math.random): number {
  const delay = Math.min(baseMs * 4 ** Math.max(0, failedAttempts - 1), MAX_DELAY_MS);
  return Math.round(delay * (0.9 + 0.2 * random()));
}

/**
 * Sends due callback deliveries: claims a batch (SKIP LOCKED, with a lease, see CallbacksRepository.claimDue), POSTs
 * each with its signature to an address checked and pinned for that attempt, and records the outcome. A 2xx is
 * delivered; 410 disables the subscription; anything else (other status, timeout, network) is tried again later
 * until CALLBACK_MAX_ATTEMPTS. Redirects are not followed (they could lead inside).
 */
@Injectable()
export class CallbackDeliverer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly secrets: SecretBox;
  private readonly poller: PollLoop;

  constructor(
    private readonly repository: CallbacksRepository,
    private readonly runtime: MessagingRuntime,
    @Inject(SERVICE_CONFIG) private readonly config: SyncEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.secrets = new SecretBox(config.SYNC_SECRETS_KEY);
    this.poller = new PollLoop({ name: 'callback delivery', intervalMs: config.CALLBACK_POLL_MS, batchSize: config.CALLBACK_BATCH_SIZE, round: () => this.round(), logger });
  }

  onApplicationBootstrap(): void {
    // Every series exists from the start (at zero), so rates and the alert's ratio are defined before the first failure.
    for (const outcome of ['delivered', 'retry', 'failed', 'refused']) attempts().inc({ outcome }, 0);
    for (const outcome of ['delivered', 'error']) attemptDuration().zero({ outcome });
    this.poller.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.poller.stop();
  }

  wake(): void {
    this.poller.wake();
  }

  /** One claim-send-record round; returns how many deliveries it claimed. */
  async round(): Promise<number> {
    // The lease outlasts one attempt's whole budget, so a live instance never loses a claim it is still sending.
    const rows = await this.repository.claimDue(this.runtime.instanceId, new Date(), this.config.CALLBACK_BATCH_SIZE, this.config.CALLBACK_TIMEOUT_MS * 2 + 5000);
    if (rows.length === 0) return 0;
    const subscriptions = await this.repository.subscriptionsByIds([...new Set(rows.map((r) => r.subscriptionId))]);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < rows.length; i = next++) await this.deliver(rows[i], subscriptions.get(rows[i].subscriptionId));
    };
    await Promise.all(Array.from({ length: Math.min(10, rows.length) }, worker));
    return rows.length;
  }

  private async deliver(row: DeliveryRow, subscription: SubscriptionRow | undefined): Promise<void> {
    const now = () => new Date();
    if (!subscription || subscription.status !== 'active') {
      await this.repository.recordAttempt(row.id, this.runtime.instanceId, { status: 'failed', statusCode: null, error: `subscription ${subscription?.status ?? 'missing'}`, dueAt: now(), deliveredAt: null });
      return;
    }
    const started = process.hrtime.bigint();
    const outcome = await this.attempt(row, subscription);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const log = { companyId: row.companyId, subscriptionId: row.subscriptionId, deliveryId: row.id, eventType: row.eventType, attempt: row.attempts };
    if (outcome.kind === 'delivered') {
      attempts().inc({ outcome: 'delivered' });
      attemptDuration().observe({ outcome: 'delivered' }, seconds);
      await this.repository.recordAttempt(row.id, this.runtime.instanceId, { status: 'delivered', statusCode: outcome.statusCode, error: null, dueAt: now(), deliveredAt: now() });
      this.logger.debug({ ...log, statusCode: outcome.statusCode }, 'callback delivered');
      return;
    }
    if (outcome.kind === 'gone') {
      attempts().inc({ outcome: 'failed' });
      await this.repository.recordAttempt(row.id, this.runtime.instanceId, { status: 'failed', statusCode: outcome.statusCode, error: 'endpoint answered 410 Gone', dueAt: now(), deliveredAt: null });
      await this.repository.disableSubscription(subscription.id, 'the endpoint answered 410 Gone');
      this.logger.warn(log, 'callback endpoint is gone (410): subscription disabled');
      return;
    }
    const statusCode = outcome.kind === 'error' ? outcome.statusCode : null;
    const last = row.attempts >= this.config.CALLBACK_MAX_ATTEMPTS;
    attempts().inc({ outcome: last ? 'failed' : outcome.kind === 'refused' ? 'refused' : 'retry' });
    attemptDuration().observe({ outcome: 'error' }, seconds);
    await this.repository.recordAttempt(row.id, this.runtime.instanceId, {
      status: last ? 'failed' : 'pending',
      statusCode,
      error: outcome.error,
      dueAt: new Date(Date.now() + retryDelayMs(row.attempts, this.config.CALLBACK_RETRY_BASE_MS)),
      deliveredAt: null,
    });
    this.logger.info({ ...log, statusCode, error: outcome.error, final: last }, last ? 'callback failed for good' : 'callback attempt failed; will retry');
  }

  private async attempt(row: DeliveryRow, subscription: SubscriptionRow): Promise<Outcome> {
    const url = new URL(subscription.url);
    let target: ResolvedTarget;
    try {
      target = await resolveTarget(url, this.config.CALLBACK_ALLOW_PRIVATE_URLS);
    } catch (error) {
      return { kind: 'refused', error: error instanceof CallbackTargetRefused ? error.message : `url: ${(error as Error).message}` };
    }
    // The current secret, and the one before the last rotation while it is still valid: one `v1,` signature each.
    const secrets: string[] = [];
    try {
      secrets.push(this.secrets.open(subscription.secretCiphertext));
      if (subscription.previousSecretCiphertext && subscription.previousSecretExpiresAt && subscription.previousSecretExpiresAt > new Date()) {
        secrets.push(this.secrets.open(subscription.previousSecretCiphertext));
      }
    } catch {
      return { kind: 'refused', error: 'signing secret unreadable (SYNC_SECRETS_KEY changed?); rotate the secret' };
    }
    const timestamp = Math.floor(Date.now() / 1000);
    // Connect to the address just checked, whatever a second DNS answer would say (no rebinding).
    const pinned: LookupFunction = (_host, options, callback) => {
      if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
      else callback(null, target.address, target.family);
    };
    const agent = new Agent({ connect: { lookup: pinned, timeout: Math.min(5000, this.config.CALLBACK_TIMEOUT_MS) }, pipelining: 0 });
    try {
      const response = await request(url, {
        method: 'POST',
        dispatcher: agent,
        body: row.payload,
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'webhook-id': row.eventId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': secrets.map((secret) => signCallback(secret, row.eventId, timestamp, row.payload)).join(' '),
          'x-webhook-event': row.eventType,
          'x-webhook-attempt': String(row.attempts),
        },
        signal: AbortSignal.timeout(this.config.CALLBACK_TIMEOUT_MS),
      });
      await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      if (response.statusCode >= 200 && response.statusCode < 300) return { kind: 'delivered', statusCode: response.statusCode };
      if (response.statusCode === 410) return { kind: 'gone', statusCode: 410 };
      return { kind: 'error', statusCode: response.statusCode, error: `endpoint answered ${response.statusCode}` };
    } catch (error) {
      const e = error as Error & { code?: string };
      const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
      return { kind: 'error', statusCode: null, error: timedOut ? `no answer within ${this.config.CALLBACK_TIMEOUT_MS} ms` : `${e.code ?? e.name}: ${e.message}` };
    } finally {
      void agent.close().catch(() => undefined);
    }
  }
}
