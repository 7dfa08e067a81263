import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Every secret the gateway hands out (personal access tokens `rcp_`, portal tokens `rpt_`, invitation links
 * `rpi_`, team invitation links `rti_`, password-reset links `rpr_`) has one shape: `<prefix>_<row id>.<secret>`. The id finds the row; only the secret's SHA-256 is
 * stored, so a database leak yields nothing that authenticates.
 */
export type BearerPrefix = 'rcp' | 'rpt' | 'rpi' | 'rti' | 'rpr';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** 32 random bytes in base64url. */
const SECRET = '[A-Za-z0-9_-]{43}';

export function bearerSecretPattern(prefix: BearerPrefix): RegExp {
  return new RegExp(`^${prefix}_(${UUID})\\.(${SECRET})$`);
}

const patterns = new Map<BearerPrefix, RegExp>((['rcp', 'rpt', 'rpi', 'rti', 'rpr'] as const).map((p) => [p, bearerSecretPattern(p)]));

export const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** A new row id, the secret shown once, the hash to store and the whole bearer string. */
export function mintBearerSecret(prefix: BearerPrefix): { id: string; token: string; hash: string } {
  const id = randomUUID();
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${prefix}_${id}.${secret}`, hash: sha256Hex(secret) };
}

/** The row id and secret of a well-formed bearer string, or null. */
export function parseBearerSecret(prefix: BearerPrefix, bearer: string): { id: string; secret: string } | null {
  const match = patterns.get(prefix)!.exec(bearer);
  return match ? { id: match[1], secret: match[2] } : null;
}

/**
 * Compares a presented secret with a stored SHA-256 in constant time. A missing row is compared against zeros
 * too, so the answer takes as long whether the id exists or not.
 */
export function secretMatches(secret: string, storedHex: string | undefined): boolean {
  const presented = Buffer.from(sha256Hex(secret), 'hex');
  const stored = Buffer.from(storedHex ?? '0'.repeat(64), 'hex');
  return timingSafeEqual(presented, stored.length === 32 ? stored : Buffer.alloc(32)) && storedHex !== undefined;
}
