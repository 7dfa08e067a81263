import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import { REDIS, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { BookingEnv } from '../config';

/**
 * Takes a key when it is free, or when it is held by the same owner (a retry of the same request) whose holder
 * stopped renewing it (its remaining time fell below ARGV[4]): the dead attempt's lock is taken over at once
 * instead of blocking its own retry until it expires. The value is `<owner>:<fence>`, the fence a counter that only
 * grows, so an attempt whose lock was taken over can tell (its value is gone) and must not write.
 * 1 = taken, 2 = taken over from our own dead attempt, 3 = our own attempt holds it alive, 0 = another owner's.
 */
const ACQUIRE = `
local v = redis.call('GET', KEYS[1])
local value = ARGV[1] .. redis.call('INCR', KEYS[2])
if not v then redis.call('SET', KEYS[1], value, 'PX', ARGV[2]); return {1, value} end
if string.sub(v, 1, string.len(ARGV[1])) == ARGV[1] then
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('SET', KEYS[1], value, 'PX', ARGV[2]); return {2, value} end
  return {3, v}
end
return {0, v}`;
/** Extends the key only while it still holds our value. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
/** Deletes the key only if it still holds our value: a lock taken over by another is left alone. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const FENCE_KEY = 'booking:lock-fence';

export interface HeldLock {
  key: string;
  value: string;
}

export type LockAttempt = { acquired: true; lock: HeldLock; tookOver: boolean } | { acquired: false; heldBySameOwner: boolean };

/** Several locks held together and renewed while held; `lost` once any of them was taken over or expired. */
export class LockLease {
  private lostFlag = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly locks: CalendarLocks,
    readonly held: HeldLock[],
    renewEveryMs: number,
  ) {
    this.timer = setInterval(() => void this.renew(), renewEveryMs);
    this.timer.unref();
  }

  get lost(): boolean {
    return this.lostFlag;
  }

  private async renew(): Promise<void> {
    for (const lock of this.held) {
      const ok = await this.locks.renew(lock).catch(() => 1); // a Redis blip: try again next time, the TTL covers it
      if (!ok) this.lostFlag = true;
    }
  }

  /** The fence check before a write: every lock still holds our value (nobody took over, nothing expired). */
  async stillHeld(): Promise<boolean> {
    if (this.lostFlag) return false;
    for (const lock of this.held) if (!(await this.locks.holds(lock))) this.lostFlag = true;
    return !this.lostFlag;
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    for (const lock of this.held) await this.locks.release(lock).catch(() => undefined);
  }
}

/**
 * Redis locks (short TTL, renewed while held) for a calendar being written (a Cal.com event type, and a staff member
 * when one is asked for) and for an appointment being changed. A booking or a move takes its calendars' locks and
 * checks for overlaps inside them, so two bookings at different but overlapping times of one calendar are decided
 * one after the other. The owner (a hash of the request's idempotency key) lets a retried request recognise its own
 * attempt: alive, it is waited for; dead (no longer renewing), its lock is taken over.
 */
@Injectable()
export class CalendarLocks {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(SERVICE_CONFIG) private readonly config: BookingEnv,
  ) {}

  calendarKey(companyId: string, eventTypeId: number) {
    return `booking:calendar-lock:${companyId}:event-type:${eventTypeId}`;
  }

  staffKey(companyId: string, staffId: string) {
    return `booking:calendar-lock:${companyId}:staff:${staffId}`;
  }

  appointmentKey(companyId: string, appointmentId: string) {
    return `booking:appointment-lock:${companyId}:${appointmentId}`;
  }

  static owner(idempotencyKey: string) {
    return createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
  }

  private get ttl() {
    return this.config.SLOT_LOCK_TTL_MS;
  }

  async acquire(key: string, owner: string): Promise<LockAttempt> {
    // A live holder renews every ttl/4, so its remaining time stays above ttl/2; below that it has missed renewals.
    const [state, value] = (await this.redis.eval(ACQUIRE, 2, key, FENCE_KEY, `${owner}:`, this.ttl, Math.floor(this.ttl / 2))) as [number, string];
    if (state === 1 || state === 2) return { acquired: true, lock: { key, value }, tookOver: state === 2 };
    return { acquired: false, heldBySameOwner: state === 3 };
  }

  async renew(lock: HeldLock): Promise<number> {
    return (await this.redis.eval(RENEW, 1, lock.key, lock.value, this.ttl)) as number;
  }

  async holds(lock: HeldLock): Promise<boolean> {
    return (await this.redis.get(lock.key)) === lock.value;
  }

  async release(lock: HeldLock): Promise<void> {
    await this.redis.eval(RELEASE, 1, lock.key, lock.value);
  }

  /**
   * All `keys` (in a fixed order, so two holders never wait on each other), waiting up to `waitMs` for each while
   * another owner holds it. `busy`: who held the one we could not get (our own live attempt, or another request).
   */
  async holdAll(keys: string[], owner: string, waitMs: number, signal?: AbortSignal): Promise<{ lease: LockLease } | { busy: 'same' | 'other' }> {
    const held: HeldLock[] = [];
    const until = Date.now() + waitMs;
    try {
      for (const key of [...new Set(keys)].sort()) {
        for (;;) {
          const got = await this.acquire(key, owner);
          if (got.acquired) {
            held.push(got.lock);
            break;
          }
          if (Date.now() >= until || signal?.aborted) {
            for (const lock of held) await this.release(lock).catch(() => undefined);
            return { busy: got.heldBySameOwner ? 'same' : 'other' };
          }
          await new Promise((r) => setTimeout(r, 25 + Math.random() * 50));
        }
      }
    } catch (error) {
      for (const lock of held) await this.release(lock).catch(() => undefined);
      throw error;
    }
    return { lease: new LockLease(this, held, Math.max(50, Math.floor(this.ttl / 4))) };
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
