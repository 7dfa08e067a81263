import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { REDIS, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { BookingEnv } from '../config';

/** Deletes the key only if it still holds our value: a lock that expired and was taken by another is left alone. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface HeldLock {
  key: string;
  value: string;
}

export type LockAttempt = { acquired: true; lock: HeldLock } | { acquired: false; heldBySameOwner: boolean };

/**
 * Short-lived Redis locks (SET NX PX) for a slot being booked (company + event type + start) and for an
 * appointment being changed. The value is `<owner>:<token>`: the owner (a hash of the request's idempotency
 * key) lets a retried request recognise its own first attempt still in flight and wait for it instead of
 * being told the slot is taken; the token makes release safe.
 */
@Injectable()
export class SlotLocks {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SERVICE_CONFIG) private readonly config: BookingEnv,
  ) {}

  slotKey(companyId: string, eventTypeId: number, startMs: number) {
    return `booking:slot-lock:${companyId}:${eventTypeId}:${new Date(startMs).toISOString()}`;
  }

  appointmentKey(companyId: string, appointmentId: string) {
    return `booking:appointment-lock:${companyId}:${appointmentId}`;
  }

  static owner(idempotencyKey: string) {
    return createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
  }

  async acquire(key: string, owner: string): Promise<LockAttempt> {
    const value = `${owner}:${randomUUID()}`;
    const ok = await this.redis.set(key, value, 'PX', this.config.SLOT_LOCK_TTL_MS, 'NX');
    if (ok === 'OK') return { acquired: true, lock: { key, value } };
    const holder = await this.redis.get(key);
    return { acquired: false, heldBySameOwner: !!holder && holder.startsWith(`${owner}:`) };
  }

  async release(lock: HeldLock): Promise<void> {
    await this.redis.eval(RELEASE, 1, lock.key, lock.value);
  }

  /** Waits until the key is gone (released or expired) or `timeoutMs` passes; true if it is gone. */
  async waitReleased(key: string, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (!(await this.redis.exists(key))) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }
}
