import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from '@receptionist/service-runtime';

/** How long a call may hold a slot while the caller decides (the seed held a Cal.com reservation 5 minutes). */
export const HOLD_TTL_MS = 5 * 60_000;
/** Holds are looked up this far before a range, so a long hold starting earlier still counts. */
const LOOKBACK_MS = 12 * 60 * 60_000;

/**
 * Takes a hold unless another call's live hold overlaps it. Members are `<callId>|<start>|<end>|<expires>` in a
 * sorted set per calendar (score = start); expired members are dropped on the way. The call's own hold on the
 * same start is renewed. The call's index lists its members for the release at call end.
 * Returns {1} taken, {0, otherCallId} held by another call.
 */
const HOLD = `
local lo = tonumber(ARGV[2]) - tonumber(ARGV[6])
local start, finish, now = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], lo, '(' .. ARGV[3])) do
  local call, s, e, x = string.match(m, '^(.*)|(%d+)|(%d+)|(%d+)$')
  if not call or tonumber(x) <= now then redis.call('ZREM', KEYS[1], m)
  elseif call == ARGV[1] then
    if tonumber(s) == start then redis.call('ZREM', KEYS[1], m); redis.call('SREM', KEYS[2], KEYS[1] .. '\\n' .. m) end
  elseif tonumber(e) > start and tonumber(s) < finish then return {0, call} end
end
local member = ARGV[1] .. '|' .. ARGV[2] .. '|' .. ARGV[3] .. '|' .. ARGV[5]
redis.call('ZADD', KEYS[1], start, member)
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('SADD', KEYS[2], KEYS[1] .. '\\n' .. member)
redis.call('PEXPIRE', KEYS[2], ARGV[7])
return {1, ARGV[1]}`;

export interface SlotHold {
  callId: string;
  startMs: number;
  endMs: number;
  expiresAtMs: number;
}

/**
 * A call holding a slot for a few minutes while the caller decides (`reserve_slot`): other calls neither see it
 * as free nor can book it; the holding call can. Released when the call books, asks to release it, or ends
 * (`call.completed`), and by itself after HOLD_TTL_MS. Redis only: a hold is a courtesy within one call, not a
 * booking, so losing Redis loses nothing that matters. Holds are per calendar (a Cal.com event type).
 */
@Injectable()
export class SlotHolds {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  private calendarKey = (companyId: string, eventTypeId: number) => `booking:holds:${companyId}:${eventTypeId}`;
  private callKey = (companyId: string, callId: string) => `booking:call-holds:${companyId}:${callId}`;

  /** Holds [start, end) of a calendar for the call; false with the holder when another call holds an overlapping slot. */
  async hold(companyId: string, eventTypeId: number, callId: string, startMs: number, endMs: number, now = Date.now()): Promise<{ held: true; expiresAtMs: number } | { held: false }> {
    const expiresAtMs = now + HOLD_TTL_MS;
    const [ok] = (await this.redis.eval(
      HOLD,
      2,
      this.calendarKey(companyId, eventTypeId),
      this.callKey(companyId, callId),
      callId,
      String(startMs),
      String(endMs),
      String(now),
      String(expiresAtMs),
      String(LOOKBACK_MS),
      String(HOLD_TTL_MS + 60_000),
    )) as [number, string];
    return ok === 1 ? { held: true, expiresAtMs } : { held: false };
  }

  /** Live holds of other calls than `callId` overlapping [from, to). */
  async othersIn(companyId: string, eventTypeId: number, fromMs: number, toMs: number, callId: string | null, now = Date.now()): Promise<SlotHold[]> {
    const members = await this.redis.zrangebyscore(this.calendarKey(companyId, eventTypeId), fromMs - LOOKBACK_MS, `(${toMs}`);
    return members
      .map(parse)
      .filter((h): h is SlotHold => !!h && h.expiresAtMs > now && h.callId !== callId && h.endMs > fromMs && h.startMs < toMs);
  }

  /** The call's holds (all, or those starting at `startMs`); how many were released. */
  async release(companyId: string, callId: string, startMs?: number): Promise<number> {
    const index = this.callKey(companyId, callId);
    const entries = await this.redis.smembers(index);
    let released = 0;
    for (const entry of entries) {
      const [key, member] = entry.split('\n');
      const hold = parse(member ?? '');
      if (startMs !== undefined && hold?.startMs !== startMs) continue;
      released += await this.redis.zrem(key, member);
      await this.redis.srem(index, entry);
    }
    return released;
  }
}

function parse(member: string): SlotHold | null {
  const m = /^(.*)\|(\d+)\|(\d+)\|(\d+)$/.exec(member);
  return m ? { callId: m[1], startMs: Number(m[2]), endMs: Number(m[3]), expiresAtMs: Number(m[4]) } : null;
}
