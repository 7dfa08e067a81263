import { z } from 'zod';
import { COMPANY_ABILITIES, COMPANY_ROLES } from '../auth/permissions';
import { newPasswordSchema } from '../auth/password';
import { bearerSecretPattern } from '../common/bearer-secret';
import { email } from '../identity/dto';
import { e164Phone } from '../portal/dto';

const uuid = z.uuid('must be a role id').transform((v) => v.toLowerCase());
const abilities = z
  .array(z.enum(COMPANY_ABILITIES as [string, ...string[]], { message: `must be abilities of: ${COMPANY_ABILITIES.join(', ')}` }))
  .min(1)
  .max(COMPANY_ABILITIES.length)
  .transform((a) => [...new Set(a)].sort());

export const createRoleSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  abilities,
});
export type CreateRoleDto = z.infer<typeof createRoleSchema>;

export const updateRoleSchema = z
  .strictObject({ name: z.string().trim().min(1).max(100).optional(), abilities: abilities.optional() })
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');
export type UpdateRoleDto = z.infer<typeof updateRoleSchema>;

/** A built-in company role by name, or a custom role by id (`customRoleId`); exactly one of them. */
export const roleChoice = {
  role: z.enum(COMPANY_ROLES).optional(),
  customRoleId: uuid.optional(),
};

export const createTeamInvitationSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    email: email.optional(),
    phone: e164Phone.optional(),
    /** Where the link goes; default e-mail when there is an address, else SMS. */
    channel: z.enum(['email', 'sms']).optional(),
    ...roleChoice,
  })
  .superRefine((v, ctx) => {
    if (!v.email && !v.phone) ctx.addIssue({ code: 'custom', path: ['email'], message: "give the invitee's e-mail or phone" });
    if (v.channel === 'email' && !v.email) ctx.addIssue({ code: 'custom', path: ['email'], message: 'required to send the invitation by e-mail' });
    if (v.channel === 'sms' && !v.phone) ctx.addIssue({ code: 'custom', path: ['phone'], message: 'required to send the invitation by SMS' });
    if (!v.role === !v.customRoleId) ctx.addIssue({ code: 'custom', path: ['role'], message: 'give a role (company_owner, company_admin, company_staff, company_readonly) or a customRoleId, one of them' });
  })
  .transform((v) => ({ ...v, channel: v.channel ?? (v.email ? ('email' as const) : ('sms' as const)) }));
export type CreateTeamInvitationDto = z.infer<typeof createTeamInvitationSchema>;

export const TEAM_INVITATION_TOKEN_RE = bearerSecretPattern('rti');
export const PASSWORD_RESET_TOKEN_RE = bearerSecretPattern('rpr');

export const acceptInvitationSchema = z.strictObject({
  token: z.string().trim().max(200).regex(TEAM_INVITATION_TOKEN_RE, 'must be the token from the invitation link'),
  password: newPasswordSchema,
  /** Required when the invitation came by SMS without an e-mail: the address the user will sign in with. */
  email: email.optional(),
  name: z.string().trim().min(1).max(200).optional(),
});
export type AcceptInvitationDto = z.infer<typeof acceptInvitationSchema>;

/** Anything string-shaped up to 254 characters: a malformed address gets the same answer as an unknown one. */
export const requestPasswordResetSchema = z.strictObject({ email: z.string().max(254) });
export type RequestPasswordResetDto = z.infer<typeof requestPasswordResetSchema>;

export const confirmPasswordResetSchema = z.strictObject({
  token: z.string().trim().max(200).regex(PASSWORD_RESET_TOKEN_RE, 'must be the token from the reset link'),
  password: newPasswordSchema,
});
export type ConfirmPasswordResetDto = z.infer<typeof confirmPasswordResetSchema>;
