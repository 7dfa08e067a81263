import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/** AES-256-GCM under a service's secrets key (32 bytes, base64): `v1:` + base64(iv ‖ tag ‖ ciphertext). */
export class SecretBox {
  private readonly key: Buffer;

  constructor(base64Key: string, setting = 'SYNC_SECRETS_KEY') {
    this.key = Buffer.from(base64Key, 'base64');
    if (this.key.length !== 32) throw new Error(`${setting}: must be 32 bytes, base64`);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `v1:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`;
  }

  open(sealed: string): string {
    if (!sealed.startsWith('v1:')) throw new Error('unknown secret format');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

/** A secrets-key setting: 32 random bytes, base64 (openssl rand -base64 32). */
export const isSecretsKey = (v: string) => Buffer.from(v, 'base64').length === 32;

/**
 * The signing secret of one company's Cal.com webhook subscription, derived from the platform's webhook secret: booking
 * registers it on the company's Cal.com account and the gateway recomputes it to verify, so no secret has to travel
 * or be stored twice, and one company's secret says nothing about another's (rotating the platform secret rotates all).
 */
export function companyCalcomWebhookSecret(platformSecret: string, companyId: string): string {
  return createHmac('sha256', platformSecret).update(`calcom-webhook:v1:${companyId}`).digest('hex');
}
