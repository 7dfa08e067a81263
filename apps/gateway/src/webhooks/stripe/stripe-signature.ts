import { createHmac, timingSafeEqual } from 'node:crypto';

/** stripe-node's DEFAULT_TOLERANCE: a signature older than 300 s is refused (replay protection). */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;

export type StripeSignatureCheck = 'ok' | 'missing' | 'malformed' | 'mismatch' | 'stale';

const hmacHex = (secret: string, payload: Buffer) =>
  createHmac('sha256', secret).update(Buffer.concat([payload])).digest('hex');

/**
 * `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=…][,v0=…]` as stripe-node's `Webhooks.ts` checks it: only `v1` counts
 * (several are accepted, e.g. during secret rotation), HMAC-SHA256(secret, `${t}.${rawBody}`) compared in constant
 * time, then the timestamp must not be older than the tolerance. Several secrets may be configured (rotation).
 */
export function verifyStripeSignature(
  rawBody: Buffer,
  header: string | undefined,
  secrets: string[],
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = STRIPE_SIGNATURE_TOLERANCE_SECONDS,
): StripeSignatureCheck {
  if (!header) return 'missing';
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v1') signatures.push(value);
  }
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) return 'malformed';
  const signedPayload = Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), rawBody]);
  const matches = secrets.some((secret) => {
    const expected = Buffer.from(hmacHex(secret, signedPayload), 'hex');
    return signatures.some((s) => /^[0-9a-f]{64}$/i.test(s) && timingSafeEqual(expected, Buffer.from(s, 'hex')));
  });
  if (!matches) return 'mismatch';
  if (toleranceSeconds > 0 && nowSeconds - Number(timestamp) > toleranceSeconds) return 'stale';
  return 'ok';
}

/** The header Stripe would send (for tests and tools), like stripe-node's `generateTestHeaderString`. */
export function signStripe(payload: string | Buffer, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  return `t=${timestamp},v1=${hmacHex(secret, Buffer.concat([Buffer.from(`${timestamp}.`), body]))}`;
}
