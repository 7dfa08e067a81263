import { PortalCustomerEntity, PortalInvitationEntity } from './entities';

export type InvitationStatus = 'pending' | 'used' | 'revoked' | 'expired';

export function invitationStatus(i: PortalInvitationEntity, now = Date.now()): InvitationStatus {
  if (i.usedAt) return 'used';
  if (i.revokedAt) return 'revoked';
  if (i.expiresAt.getTime() <= now) return 'expired';
  return 'pending';
}

export const invitationView = (i: PortalInvitationEntity) => ({
  id: i.id,
  companyId: i.companyId,
  name: i.name,
  phone: i.phone,
  email: i.email,
  status: invitationStatus(i),
  expiresAt: i.expiresAt.toISOString(),
  usedAt: i.usedAt?.toISOString() ?? null,
  revokedAt: i.revokedAt?.toISOString() ?? null,
  portalCustomerId: i.portalCustomerId,
  createdAt: i.createdAt.toISOString(),
});

export const portalCustomerView = (c: PortalCustomerEntity) => ({
  id: c.id,
  companyId: c.companyId,
  name: c.name,
  phone: c.phone,
  email: c.email,
  disabledAt: c.disabledAt?.toISOString() ?? null,
  createdAt: c.createdAt.toISOString(),
});
