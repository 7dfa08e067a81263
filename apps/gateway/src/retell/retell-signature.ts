import { createHmac, timingSafeEqual } from 'node:crypto';

/** Retell refuses (and so do we) a signature older than 5 minutes; we also refuse one from the future. */
export const SIGNATURE_TOLERANCE_MS = 5 * 60 * 1000;

const safeEqualHex = (a: string, b: string): boolean => {
  if (a.length !== b.length || !/^[0-9a-f]+$/i.test(a)) return false;
  return timingSafeEqual(Buffer.from(a.toLowerCase(), 'hex'), Buffer.from(b.toLowerCase(), 'hex'));
};

const hmacHex = (key: string, message: Buffer | string) => createHmac('sha256', key).update(message).digest('hex');

/**
 * `x-retell-signature` as Retell signs (retell-sdk webhook_auth): `v=<ms>,d=<hex>` with
 * d = HMAC-SHA256(apiKey, rawBody + ms). The older `t=<s>,v1=<hex>` form (HMAC over `t.body`) is accepted too.
 */
export function verifyRetellSignature(rawBody: Buffer, header: string | undefined, key: string, now = Date.now()): boolean {
  if (!header || !key) return false;
  const current = /^v=(\d+),d=([0-9a-f]{64})$/i.exec(header.trim());
  if (current) {
    const ts = Number(current[1]);
    if (!Number.isSafeInteger(ts) || Math.abs(now - ts) > SIGNATURE_TOLERANCE_MS) return false;
    return safeEqualHex(current[2], hmacHex(key, Buffer.concat([rawBody, Buffer.from(current[1])])));
  }
  const legacy = /^t=(\d+),v1=([0-9a-f]{64})$/i.exec(header.trim());
  if (legacy) {
    const ts = Number(legacy[1]) * 1000;
    if (!Number.isSafeInteger(ts) || Math.abs(now - ts) > SIGNATURE_TOLERANCE_MS) return false;
    return safeEqualHex(legacy[2], hmacHex(key, Buffer.concat([Buffer.from(`${legacy[1]}.`), rawBody])));
  }
  return false;
}

/** What a Retell-signed request carries; used by tests, the simulator and the demo caller. */
export function signRetell(rawBody: string | Buffer, key: string, now = Date.now()): string {
  const body = Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody);
  return `v=${now},d=${hmacHex(key, Buffer.concat([body, Buffer.from(String(now))]))}`;
}

/**
 * The function-secret scheme of the system we replace: `Authorization: Bearer <secret>` or
 * `X-Retell-Function-Signature: <hex HMAC-SHA256(secret, rawBody)>`.
 */
export function verifyFunctionSecret(
  rawBody: Buffer,
  headers: { authorization?: string; signature?: string },
  secret: string,
): boolean {
  if (!secret) return false;
  const bearer = headers.authorization ? /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization)?.[1] : undefined;
  if (bearer) {
    const a = createHmac('sha256', 'cmp').update(bearer).digest();
    const b = createHmac('sha256', 'cmp').update(secret).digest();
    if (timingSafeEqual(a, b)) return true;
  }
  if (headers.signature) return safeEqualHex(headers.signature.trim().replace(/^sha256=/i, ''), hmacHex(secret, rawBody));
  return false;
}
