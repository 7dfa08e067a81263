import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DataSource, IsNull } from 'typeorm';
import { isDuplicateKeyError } from '@receptionist/messaging';
import { LOGGER, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { VoiceAgentEnv } from '../config';
import { BookingClient } from '../booking/booking.client';
import { CallbackWishEntity } from '../drafts/draft.entity';

const DELIVERY_TIMEOUT_MS = 5_000;
/** After this many failed hand-overs a wish is still retried, but logged as an error (someone should look). */
const ALERT_AFTER_ATTEMPTS = 20;

export interface NewCallbackWish {
  /** Derived from the request key when there is one (callbackWishIdFor), so the same request's wish is stored once. */
  id?: string;
  companyId: string;
  callId: string | null;
  customerName: string | null;
  phone: string | null;
  wish: string;
  reason: CallbackWishEntity['reason'];
}

/**
 * "Ein Mitarbeiter ruft Sie zurück": the wish is stored here first (so it survives booking or Kafka being
 * down while the caller is on the line), then handed to booking (`callback.request` → booking.callback-requested)
 * after the caller has been answered, and retried until booking has taken it.
 */
@Injectable()
export class CallbackWishes implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly booking: BookingClient,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_CONFIG) private readonly config: VoiceAgentEnv,
  ) {}

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.retryPending(), this.config.CALLBACK_RETRY_MS ?? 15_000);
    this.timer.unref();
  }

  async onApplicationShutdown() {
    this.stopping = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight]);
  }

  /** Stores the wish and starts handing it to booking in the background. */
  async record(wish: NewCallbackWish): Promise<string> {
    const row: CallbackWishEntity = {
      ...wish,
      id: wish.id ?? randomUUID(),
      wish: wish.wish.slice(0, 1000),
      attempts: 0,
      claimedUntil: null,
      deliveredAt: null,
      createdAt: new Date(),
    };
    try {
      await this.dataSource.getRepository(CallbackWishEntity).insert(row);
    } catch (error) {
      // The same request's wish again (Retell retried the tool call): stored once, delivered by the first.
      if (wish.id && isDuplicateKeyError(error)) return row.id;
      throw error;
    }
    this.track(this.deliver(row.id));
    return row.id;
  }

  /** As `record`, but a call's wish for the same reason is stored once (repeated checks in one call). */
  async recordOnce(wish: NewCallbackWish): Promise<string> {
    if (wish.callId) {
      const existing = await this.dataSource.getRepository(CallbackWishEntity).findOneBy({ companyId: wish.companyId, callId: wish.callId, reason: wish.reason });
      if (existing) return existing.id;
    }
    return this.record(wish);
  }

  private track(p: Promise<void>) {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  async retryPending(): Promise<void> {
    if (this.stopping) return;
    const due = await this.dataSource
      .getRepository(CallbackWishEntity)
      .find({ where: { deliveredAt: IsNull() }, order: { createdAt: 'ASC' }, take: 20 })
      .catch(() => []);
    for (const w of due) this.track(this.deliver(w.id));
  }

  /** Claims the row (so two instances do not both send it), sends it, marks it delivered. */
  private async deliver(id: string): Promise<void> {
    const repo = this.dataSource.getRepository(CallbackWishEntity);
    try {
      const claimed = await this.dataSource.query(
        `UPDATE callback_wish SET claimed_until = ?, attempts = attempts + 1
         WHERE id = ? AND delivered_at IS NULL AND (claimed_until IS NULL OR claimed_until < ?)`,
        [new Date(Date.now() + DELIVERY_TIMEOUT_MS + 1000), id, new Date()],
      );
      if (!(claimed as { affectedRows?: number }).affectedRows) return;
      const wish = await repo.findOneByOrFail({ id });
      const reply = await this.booking.ask(
        {
          operation: 'callback.request',
          companyId: wish.companyId,
          // Booking records one callback request per wish, so a retry after a lost reply adds nothing.
          wishId: wish.id,
          callId: wish.callId,
          name: wish.customerName,
          phone: wish.phone,
          wish: wish.wish,
          reason: wish.reason,
        },
        Date.now() + DELIVERY_TIMEOUT_MS,
      );
      if (reply.ok || reply.code === 'invalid_request') {
        // An invalid request will never succeed; it stays visible here (delivered, logged) instead of looping.
        if (!reply.ok) this.logger.error({ id, code: reply.code }, 'booking refused a callback wish');
        await repo.update({ id }, { deliveredAt: new Date(), claimedUntil: null });
      }
    } catch (error) {
      const attempts = (await repo.findOneBy({ id }).catch(() => null))?.attempts ?? 0;
      const log = attempts >= ALERT_AFTER_ATTEMPTS ? this.logger.error.bind(this.logger) : this.logger.warn.bind(this.logger);
      log({ err: { name: (error as Error).name }, id, attempts }, 'callback wish not handed to booking yet; will retry');
    }
  }
}
