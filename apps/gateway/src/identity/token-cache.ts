import { createHash } from 'node:crypto';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { LOGGER, REDIS, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { Principal } from '../auth/principal';
import type { GatewayEnv } from '../config';

/** Redis channel on which every gateway instance hears revocations. */
export const TOKEN_REVOCATION_CHANNEL = 'gateway.tokens.revoked';
const MAX_ENTRIES = 20_000;

/** What a revocation covers: one token, every token of a user, or everything (a role's abilities changed). */
export type Revocation = { tokenId: string } | { userId: string } | { all: true };

interface Entry {
  principal: Principal;
  /** The earlier of the token's expiry and the cache's TTL. */
  validUntil: number;
}

/**
 * A short in-process cache of accepted bearer tokens: the token check (a database read per request) was most of
 * the gateway's time per admin request. Entries are keyed by a hash of the whole bearer (a wrong secret never
 * hits) and live TOKEN_CACHE_TTL_MS at most. Revocation is immediate on every instance: whoever revokes publishes
 * on Redis and each instance drops the entries it covers. While the subscription is not live (Redis away, or
 * reconnecting, when a revocation may have been missed) nothing is served from the cache, and it is emptied when
 * the subscription is back.
 */
@Injectable()
export class TokenCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private subscriber?: Redis;
  private live = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SERVICE_CONFIG) config: GatewayEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.ttlMs = config.TOKEN_CACHE_TTL_MS;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.ttlMs === 0) return;
    const subscriber = this.redis.duplicate({ lazyConnect: true, enableOfflineQueue: true });
    this.subscriber = subscriber;
    subscriber.on('message', (_channel: string, message: string) => this.apply(message));
    // Every (re)connection: forget everything first, a revocation may have been published while we were away.
    subscriber.on('ready', () => {
      this.entries.clear();
      subscriber.subscribe(TOKEN_REVOCATION_CHANNEL).then(
        () => (this.live = true),
        (error) => this.logger.warn({ err: error }, 'token revocation channel not subscribed; token cache off'),
      );
    });
    for (const event of ['close', 'end', 'reconnecting'] as const) subscriber.on(event, () => (this.live = false));
    subscriber.on('error', (error) => this.logger.debug({ err: error }, 'token revocation subscriber'));
    await subscriber.connect().catch((error) => this.logger.warn({ err: error }, 'token revocation subscriber not connected; token cache off until it is'));
  }

  async onApplicationShutdown(): Promise<void> {
    this.live = false;
    this.subscriber?.disconnect();
  }

  get(bearer: string): Principal | undefined {
    if (!this.live) return undefined;
    const key = keyOf(bearer);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.validUntil <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.principal;
  }

  remember(bearer: string, principal: Principal, tokenExpiresAt: Date): void {
    if (!this.live) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(keyOf(bearer), { principal, validUntil: Math.min(tokenExpiresAt.getTime(), Date.now() + this.ttlMs) });
  }

  /**
   * Call after the revocation committed: drops the covered entries here and tells every other instance. If the
   * message cannot be published, the entries elsewhere still end with their TTL.
   */
  async revoked(revocation: Revocation): Promise<void> {
    const message = JSON.stringify(revocation);
    this.apply(message);
    if (this.ttlMs === 0) return;
    await this.redis.publish(TOKEN_REVOCATION_CHANNEL, message).catch((error) => this.logger.warn({ err: error }, 'token revocation not published; other instances drop it with the TTL'));
  }

  private apply(message: string): void {
    let revocation: Partial<{ tokenId: string; userId: string; all: boolean }>;
    try {
      revocation = JSON.parse(message);
    } catch {
      this.entries.clear();
      return;
    }
    if (revocation.all) return this.entries.clear();
    for (const [key, { principal }] of this.entries) {
      if (principal.kind !== 'token') continue;
      if (principal.tokenId === revocation.tokenId || principal.userId === revocation.userId) this.entries.delete(key);
    }
  }
}

const keyOf = (bearer: string) => createHash('sha256').update(bearer).digest('base64url');
