import { randomBytes, scrypt as scryptCb, timingSafeEqual, ScryptOptions } from 'node:crypto';
import { z } from 'zod';

/**
 * What a new password must be, wherever one is set (API, PLATFORM_ADMIN_PASSWORD, `admin:create`): long, and not
 * one or two characters repeated.
 */
export const newPasswordSchema = z
  .string()
  .min(12, 'must be at least 12 characters')
  .max(1024)
  .refine((p) => new Set(p).size >= 5, 'is too simple: use at least 5 different characters');

/**
 * Password hashing with scrypt and a per-user salt, in a versioned, self-describing format:
 *   `$scrypt$v=1$n=32768,r=8,p=1$<salt base64url>$<hash base64url>`
 * The parameters travel with the hash, so raising the cost later keeps old hashes verifiable (`needsRehash`).
 */
const CURRENT = { n: 1 << 15, r: 8, p: 1, keyLength: 32, saltLength: 16 };

function scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFKC'), salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const maxmem = (n: number, r: number) => 256 * n * r;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(CURRENT.saltLength);
  const { n, r, p } = CURRENT;
  const key = await scrypt(password, salt, CURRENT.keyLength, { N: n, r, p, maxmem: maxmem(n, r) });
  return `$scrypt$v=1$n=${n},r=${r},p=${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

interface Parsed {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): Parsed | null {
  const m = /^\$scrypt\$v=1\$n=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(stored);
  if (!m) return null;
  const [n, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (n < 2 || n > 1 << 20 || (n & (n - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return null;
  return { n, r, p, salt: Buffer.from(m[4], 'base64url'), key: Buffer.from(m[5], 'base64url') };
}

/** Constant-time comparison of the derived key; an unparsable stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed || parsed.key.length < 16) return false;
  const key = await scrypt(password, parsed.salt, parsed.key.length, { N: parsed.n, r: parsed.r, p: parsed.p, maxmem: maxmem(parsed.n, parsed.r) });
  return timingSafeEqual(key, parsed.key);
}

export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  return !parsed || parsed.n < CURRENT.n || parsed.r !== CURRENT.r || parsed.p !== CURRENT.p || parsed.key.length !== CURRENT.keyLength;
}

/** A real hash of a random password: verifying against it costs what a real check costs (unknown e-mail). */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(24).toString('base64url'));
  return dummy;
}
