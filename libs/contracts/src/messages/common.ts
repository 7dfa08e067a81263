import { z } from 'zod';

export const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +4930123456');
export const isoInstant = z.iso.datetime({ offset: true });
export const currency = z.enum(['EUR', 'USD', 'GBP']);
/** Money is always integer minor units (cents, pence); never a float. */
export const minorUnits = z.number().int();
export const channel = z.enum(['sms', 'whatsapp', 'push', 'email']);
export const language = z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/);
