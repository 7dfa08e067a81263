import { createHash, randomBytes } from 'node:crypto';
import type Redis from 'ioredis';

/**
 * Sliding-window log in Redis, one Lua script per decision.
 *
 * Why a sliding log and not GCRA or a fixed window: the limits are stated as "N requests per minute" and the 429
 * body promises exactly that, so the check must hold over every 60 s window, not just per calendar minute (a fixed
 * window lets 2N through around a boundary) and not as a rate with a burst allowance (GCRA admits N at once and then
 * one more every 60/N s, so up to 2N-1 in one minute). The log stores one sorted-set entry per *admitted* request
 * (rejected ones are not recorded), so a key holds at most N entries (N ≤ a few hundred) and expires with the window;
 * pruning and counting are O(log N). GCRA would need one value per key instead; at our limits the difference in
 * memory is irrelevant, the exact semantics are not.
 *
 * Atomicity: the script prunes, counts and adds in one step for all of a request's keys (a request limited by
 * client IP and by account is admitted only if every key has room, and then counted on every key), so concurrent
 * requests on any number of gateway instances can never overshoot. The time comes from Redis (`TIME`), not from
 * each instance's clock, so instances with skewed clocks agree on the window. (Under Redis Cluster all keys of one
 * call would need a common hash tag; the deployment uses a single Redis.)
 *
 * Returns {allowed, remaining, resetMs}: remaining after this request on the tightest key; resetMs is when that key
 * next frees a slot (its oldest entry leaves the window), which is also the retry delay when rejected.
 */
export const SLIDING_WINDOW_SCRIPT = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local member = ARGV[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local counts = {}
local allowed = 1
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  counts[i] = redis.call('ZCARD', key)
  if counts[i] >= limit then allowed = 0 end
end
local remaining = limit
local reset = 0
for i, key in ipairs(KEYS) do
  local count = counts[i]
  if allowed == 1 then
    redis.call('ZADD', key, now, member)
    redis.call('PEXPIRE', key, window)
    count = count + 1
  end
  local left = limit - count
  if left < 0 then left = 0 end
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  local r = window
  if oldest[2] then r = tonumber(oldest[2]) + window - now end
  if left < remaining or (left == remaining and r > reset) then
    remaining = left
    reset = r
  end
end
return {allowed, remaining, reset}
`;

const SCRIPT_SHA = createHash('sha1').update(SLIDING_WINDOW_SCRIPT).digest('hex');

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Milliseconds until the tightest key frees a slot. */
  resetMs: number;
}

export class SlidingWindowLimiter {
  constructor(private readonly redis: Redis) {}

  /** Admits one request against every key, or none; see SLIDING_WINDOW_SCRIPT. */
  async consume(keys: string[], limit: number, windowMs: number): Promise<LimitDecision> {
    if (keys.length === 0) throw new Error('at least one rate-limit key is required');
    const args = [String(limit), String(windowMs), randomBytes(9).toString('base64url')];
    let result: unknown;
    try {
      result = await this.redis.evalsha(SCRIPT_SHA, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error).message).includes('NOSCRIPT')) throw error;
      result = await this.redis.eval(SLIDING_WINDOW_SCRIPT, keys.length, ...keys, ...args);
    }
    const [allowed, remaining, resetMs] = result as [number, number, number];
    return { allowed: allowed === 1, limit, remaining, resetMs: Math.max(0, resetMs) };
  }
}
