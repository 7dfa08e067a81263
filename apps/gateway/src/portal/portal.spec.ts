import { gatewayEnvSchema } from '../config';
import { createInvitationSchema, portalLoginSchema } from './dto';
import { refusal } from './portal-booking.client';
import { invitationStatus } from './views';
import { PortalInvitationEntity } from './entities';

describe('portal configuration', () => {
  it('defaults the token lifetime and refuses one out of range, naming the variable', () => {
    expect(gatewayEnvSchema.parse({}).PORTAL_TOKEN_TTL_MINUTES).toBe(1440);
    expect(gatewayEnvSchema.parse({ PORTAL_TOKEN_TTL_MINUTES: '90' }).PORTAL_TOKEN_TTL_MINUTES).toBe(90);
    for (const bad of ['0', '4', '43201', 'soon']) {
      const result = gatewayEnvSchema.safeParse({ PORTAL_TOKEN_TTL_MINUTES: bad });
      expect(result.success).toBe(false);
      expect(result.error!.issues.map((i) => i.path.join('.'))).toEqual(['PORTAL_TOKEN_TTL_MINUTES']);
    }
    expect(gatewayEnvSchema.safeParse({ PORTAL_INVITATION_TTL_HOURS: '721' }).success).toBe(false);
    expect(gatewayEnvSchema.safeParse({ PORTAL_URL: 'not a url' }).success).toBe(false);
  });
});

describe('portal input', () => {
  it('normalises the invited phone to E.164 and needs a phone or an e-mail', () => {
    expect(createInvitationSchema.parse({ name: ' Erika ', phone: '0049 151 1234 5678' })).toEqual({ name: 'Erika', phone: '+4915112345678' });
    expect(createInvitationSchema.parse({ name: 'E', email: 'Erika@Example.com' })).toEqual({ name: 'E', email: 'erika@example.com' });
    expect(createInvitationSchema.safeParse({ name: 'E' }).error!.issues[0].path).toEqual(['phone']);
    expect(createInvitationSchema.safeParse({ name: 'E', phone: '030 123' }).error!.issues[0].path).toEqual(['phone']);
    expect(createInvitationSchema.safeParse({ name: 'E', email: 'e@x.de', companyId: 'x' }).success).toBe(false);
  });

  it('signs in with exactly one of e-mail or phone', () => {
    expect(portalLoginSchema.safeParse({ email: 'a@b.de', password: 'x' }).success).toBe(true);
    expect(portalLoginSchema.safeParse({ phone: '+4930123456', password: 'x' }).success).toBe(true);
    expect(portalLoginSchema.safeParse({ email: 'a@b.de', phone: '+4930123456', password: 'x' }).success).toBe(false);
    expect(portalLoginSchema.safeParse({ password: 'x' }).success).toBe(false);
  });
});

describe('portal answers', () => {
  it('turns booking refusals into HTTP answers that never tell whose appointment it was', () => {
    const notFound = refusal('not_found', 'appointmentId: no such appointment for this customer');
    expect(notFound.getStatus()).toBe(404);
    expect(JSON.stringify(notFound.getResponse())).not.toContain('customer');
    expect(refusal('policy_denied', 'appointmentId: cancelling needs 24 hours notice', { rule: 'cancellation_notice' }).getResponse()).toMatchObject({ statusCode: 409, rule: 'cancellation_notice', field: 'appointmentId' });
    expect(refusal('slot_taken', 'start: taken', { alternatives: ['2026-01-01T10:00:00+01:00', '2026-01-01T11:00:00+01:00'] }).getResponse()).toMatchObject({ statusCode: 409, alternatives: '2026-01-01T10:00:00+01:00,2026-01-01T11:00:00+01:00' });
    expect(refusal('too_short_notice', 'start: too soon').getStatus()).toBe(422);
    expect(refusal('invalid_request', 'newStart: bad').getStatus()).toBe(400);
    expect(refusal('calendar_unavailable', 'calcom down').getStatus()).toBe(503);
  });

  it('reports an invitation as used before revoked before expired', () => {
    const base = Object.assign(new PortalInvitationEntity(), { expiresAt: new Date(Date.now() + 1000), usedAt: null, revokedAt: null });
    expect(invitationStatus(base)).toBe('pending');
    expect(invitationStatus({ ...base, expiresAt: new Date(Date.now() - 1) })).toBe('expired');
    expect(invitationStatus({ ...base, revokedAt: new Date(), expiresAt: new Date(0) })).toBe('revoked');
    expect(invitationStatus({ ...base, usedAt: new Date(), revokedAt: new Date() })).toBe('used');
  });
});
