import { z } from 'zod';
import { e164, isoInstant, language } from './common';

/**
 * What the notification service needs to deliver a team member's one-time link (invitation or password reset).
 * `link` holds the secret: the notification service sends it and never stores or logs it; the gateway keeps only
 * its hash. `to` is an e-mail address for `email`, an E.164 number for `sms`.
 */
const teamLink = {
  channel: z.enum(['email', 'sms']),
  to: z.string().min(3).max(254),
  name: z.string().min(1).max(200),
  companyName: z.string().min(1).max(200).nullable(),
  language,
  link: z.url(),
  expiresAt: isoInstant,
};

const checkRecipient = (v: { channel: 'email' | 'sms'; to: string }, ctx: z.RefinementCtx) => {
  const ok = v.channel === 'sms' ? e164.safeParse(v.to).success : z.email().safeParse(v.to).success;
  if (!ok) ctx.addIssue({ code: 'custom', path: ['to'], message: v.channel === 'sms' ? 'must be an E.164 number' : 'must be an e-mail address' });
};

export const teamInvitationCreatedSchema = z
  .object({ invitationId: z.uuid(), role: z.string().min(1), ...teamLink })
  .superRefine(checkRecipient);
export const passwordResetRequestedSchema = z
  .object({ resetId: z.uuid(), userId: z.uuid(), ...teamLink })
  .superRefine(checkRecipient);
