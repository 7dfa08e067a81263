import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { CALLBACK_TEST_EVENT, CallbackEventType, Envelope, SyncReply } from '@receptionist/contracts';
import { LOGGER, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { SyncEnv } from '../config';
import { CallbackDeliverer } from './callback-deliverer';
import { CallbackTargetRefused, parseCallbackUrl } from './callback-target';
import { newSigningSecret, SecretBox } from './callback-signature';
import { CallbacksRepository, DeliveryRow, DeliveryStatus, SubscriptionRow } from './callbacks.repository';

/** A refusal the admin API turns into 400/404/409 (`detail` names the field). */
export class CallbackFailure extends Error {
  constructor(
    readonly code: NonNullable<SyncReply['code']>,
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}

const subscriptionView = (s: SubscriptionRow) => ({
  subscriptionId: s.id,
  url: s.url,
  events: s.events,
  description: s.description,
  status: s.status,
  disabledReason: s.disabledReason,
  /** Until when the secret before the last rotation still signs too (null: only the current one signs). */
  previousSecretExpiresAt: s.previousSecretExpiresAt && s.previousSecretExpiresAt > new Date() ? s.previousSecretExpiresAt.toISOString() : null,
  createdAt: s.createdAt.toISOString(),
});

const deliveryView = (d: DeliveryRow) => ({
  deliveryId: d.id,
  eventId: d.eventId,
  eventType: d.eventType,
  status: d.status,
  attempts: d.attempts,
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  lastAttemptAt: d.lastAttemptAt?.toISOString() ?? null,
  nextAttemptAt: d.status === 'pending' ? d.dueAt.toISOString() : null,
  deliveredAt: d.deliveredAt?.toISOString() ?? null,
  createdAt: d.createdAt.toISOString(),
});

/** The body every receiver gets: the same bytes on every attempt of one delivery. */
export function callbackBody(event: { id: string; type: string; time: string; companyId: string; data: unknown }): string {
  return JSON.stringify({ id: event.id, type: event.type, timestamp: event.time, companyId: event.companyId, data: event.data });
}

/** Companies' callback subscriptions, and turning the platform's events into deliveries for them. */
@Injectable()
export class CallbackSubscriptionsService {
  private readonly secrets: SecretBox;

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: CallbacksRepository,
    private readonly deliverer: CallbackDeliverer,
    @Inject(SERVICE_CONFIG) private readonly config: SyncEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.secrets = new SecretBox(config.SYNC_SECRETS_KEY);
  }

  async create(input: { companyId: string; url: string; events: CallbackEventType[]; description?: string | null }) {
    let url: URL;
    try {
      url = parseCallbackUrl(input.url, this.config.CALLBACK_ALLOW_PRIVATE_URLS);
    } catch (error) {
      if (error instanceof CallbackTargetRefused) throw new CallbackFailure('invalid_request', error.message);
      throw error;
    }
    const secret = newSigningSecret();
    const row = {
      id: randomUUID(),
      companyId: input.companyId,
      url: url.toString(),
      events: [...new Set(input.events)],
      description: input.description ?? null,
      secretCiphertext: this.secrets.seal(secret),
      createdAt: new Date(),
    };
    await this.dataSource.transaction(async (manager) => {
      // Counted under lock: two concurrent creations cannot both take the last place.
      if ((await this.repository.countLive(manager, input.companyId)) >= this.config.CALLBACK_MAX_SUBSCRIPTIONS) {
        throw new CallbackFailure('limit_reached', `url: at most ${this.config.CALLBACK_MAX_SUBSCRIPTIONS} callback subscriptions per company`);
      }
      await this.repository.insertSubscription(manager, row);
    });
    this.logger.info({ companyId: input.companyId, subscriptionId: row.id, host: url.host, events: row.events }, 'callback subscription created');
    return { subscription: { ...subscriptionView({ ...row, status: 'active', disabledReason: null, previousSecretCiphertext: null, previousSecretExpiresAt: null }), secret } };
  }

  async list(companyId: string) {
    return { subscriptions: (await this.repository.listSubscriptions(companyId)).map(subscriptionView) };
  }

  private async own(companyId: string, subscriptionId: string): Promise<SubscriptionRow> {
    const s = await this.repository.findSubscription(companyId, subscriptionId);
    if (!s) throw new CallbackFailure('not_found', 'subscriptionId: no such subscription');
    return s;
  }

  async delete(companyId: string, subscriptionId: string) {
    if (!(await this.repository.deleteSubscription(companyId, subscriptionId, new Date()))) throw new CallbackFailure('not_found', 'subscriptionId: no such subscription');
    return {};
  }

  /** A new secret; the old one keeps signing beside it for `oldSecretValidHours` (0: stops at once). */
  async rotateSecret(companyId: string, subscriptionId: string, oldSecretValidHours: number) {
    const s = await this.own(companyId, subscriptionId);
    const secret = newSigningSecret();
    const previousUntil = oldSecretValidHours > 0 ? new Date(Date.now() + oldSecretValidHours * 3600_000) : null;
    await this.repository.rotateSecret(companyId, subscriptionId, this.secrets.seal(secret), previousUntil);
    return { subscription: { ...subscriptionView({ ...s, previousSecretExpiresAt: previousUntil }), secret } };
  }

  async test(companyId: string, subscriptionId: string) {
    const s = await this.own(companyId, subscriptionId);
    if (s.status !== 'active') throw new CallbackFailure('invalid_request', `subscriptionId: the subscription is ${s.status}`);
    const now = new Date();
    const eventId = randomUUID();
    const payload = callbackBody({ id: eventId, type: CALLBACK_TEST_EVENT, time: now.toISOString(), companyId, data: { subscriptionId, message: 'Test delivery from the AI receptionist platform' } });
    const deliveryId = randomUUID();
    await this.repository.insertDeliveries([{ id: deliveryId, subscriptionId, companyId, eventId, eventType: CALLBACK_TEST_EVENT, payload, dueAt: now }], now);
    this.deliverer.wake();
    return { deliveryId, eventId };
  }

  async deliveries(companyId: string, subscriptionId: string, q: { status?: DeliveryStatus; limit: number; cursor?: string }) {
    await this.own(companyId, subscriptionId);
    let cursor: { at: Date; id: string } | undefined;
    if (q.cursor) {
      const m = /^(\d{1,15})_([0-9a-f-]{36})$/.exec(q.cursor);
      if (!m) throw new CallbackFailure('invalid_request', 'cursor: not a cursor this API returned');
      cursor = { at: new Date(Number(m[1])), id: m[2] };
    }
    const rows = await this.repository.listDeliveries(companyId, subscriptionId, { status: q.status, limit: q.limit, cursor });
    const last = rows.at(-1);
    return { deliveries: rows.map(deliveryView), next: rows.length === q.limit && last ? `${last.createdAt.getTime()}_${last.id}` : null };
  }

  async retry(companyId: string, subscriptionId: string, deliveryId: string) {
    const s = await this.own(companyId, subscriptionId);
    if (s.status !== 'active') throw new CallbackFailure('invalid_request', `subscriptionId: the subscription is ${s.status}`);
    const row = await this.repository.requeue(companyId, subscriptionId, deliveryId, new Date());
    if (!row) throw new CallbackFailure('not_found', 'deliveryId: no such delivery');
    this.deliverer.wake();
    return { delivery: deliveryView(row) };
  }

  /** One delivery per subscriber of this company and event type; a redelivered event adds none (unique key). */
  async onEvent(envelope: Envelope): Promise<number> {
    const companyId = envelope.companyId;
    if (!companyId) return 0;
    const subscribers = await this.repository.subscribersOf(companyId, envelope.type);
    if (subscribers.length === 0) return 0;
    const now = new Date();
    const payload = callbackBody({ id: envelope.id, type: envelope.type, time: envelope.time, companyId, data: envelope.data });
    const inserted = await this.repository.insertDeliveries(
      subscribers.map((s) => ({ id: randomUUID(), subscriptionId: s.id, companyId, eventId: envelope.id, eventType: envelope.type, payload, dueAt: now })),
      now,
    );
    if (inserted > 0) this.deliverer.wake();
    return inserted;
  }
}
