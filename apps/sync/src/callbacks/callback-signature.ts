import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signing as Standard Webhooks does (standardwebhooks.com, also Svix's scheme): the secret is `whsec_` + base64 key
 * bytes; the signature header is `v1,` + base64(HMAC-SHA256(key, `<webhook-id>.<webhook-timestamp>.<body>`)) over the
 * exact bytes sent. Receivers check the timestamp is recent and dedupe by `webhook-id`.
 */
export const newSigningSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

export function signCallback(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** What a receiver does (used by the tests and documented for integrators). */
export function verifyCallback(secret: string, headers: { id: string; timestamp: string; signature: string }, body: string, toleranceS = 300, now = Date.now()): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(now / 1000 - ts) > toleranceS) return false;
  const expected = Buffer.from(signCallback(secret, headers.id, ts, body));
  return headers.signature.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** Sealing at rest is shared with booking's calendar keys (libs/config). */
export { SecretBox } from '@receptionist/config';
