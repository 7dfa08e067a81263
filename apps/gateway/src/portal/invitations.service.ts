import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import { SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { GatewayEnv } from '../config';
import { tenantScope } from '../auth/principal';
import { Actor, auditBy } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { mintBearerSecret } from '../common/bearer-secret';
import { CompaniesRepository } from '../companies/companies.repository';
import type { CreateInvitationDto } from './dto';
import { PortalCustomerEntity, PortalInvitationEntity } from './entities';
import { PortalRepository } from './portal.repository';
import { PortalTokensService } from './portal-tokens.service';
import { invitationStatus, invitationView, portalCustomerView } from './views';

/** What a company's admin or staff does with the portal: invite customers, revoke invitations, disable accounts. */
@Injectable()
export class InvitationsService {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: GatewayEnv,
    private readonly dataSource: DataSource,
    private readonly companies: CompaniesRepository,
    private readonly repo: PortalRepository,
    private readonly tokens: PortalTokensService,
    private readonly audit: AuditService,
  ) {}

  private async company(actor: Actor, companyId: string): Promise<string> {
    const company = await this.companies.findCompany(tenantScope(actor.principal), companyId);
    if (!company) throw new NotFoundException();
    return company.id;
  }

  /** The token and link are in this answer only; the database keeps the SHA-256 of the secret. */
  async create(actor: Actor, companyId: string, dto: CreateInvitationDto) {
    const id = await this.company(actor, companyId);
    const contact = { phone: dto.phone ?? null, email: dto.email ?? null };
    const existing = await this.repo.findCustomerByContact(id, contact);
    if (existing) {
      const field = contact.phone && existing.phone === contact.phone ? 'phone' : 'email';
      throw new ConflictException({ statusCode: 409, error: 'Conflict', message: `${field}: this customer already has a portal account`, field });
    }
    // `rpi_<invitation id>.<secret>`, the secret only in the link
    const { id: invitationId, token, hash } = mintBearerSecret('rpi');
    const hours = dto.expiresInHours ?? this.config.PORTAL_INVITATION_TTL_HOURS ?? 168;
    const entity = Object.assign(new PortalInvitationEntity(), {
      id: invitationId,
      companyId: id,
      name: dto.name,
      ...contact,
      tokenHash: hash,
      expiresAt: new Date(Date.now() + hours * 3600_000),
      usedAt: null,
      revokedAt: null,
      portalCustomerId: null,
      createdByUserId: actor.principal.userId,
      createdAt: new Date(),
    });
    await this.dataSource.transaction(async (m) => {
      await m.getRepository(PortalInvitationEntity).insert(entity);
      await this.audit.record(
        { ...auditBy(actor), action: 'portal.invitation.created', companyId: id, targetType: 'portal_invitation', targetId: invitationId, changes: { name: entity.name, phone: entity.phone, email: entity.email, expiresAt: entity.expiresAt.toISOString() } },
        m,
      );
    });
    const base = (this.config.PORTAL_URL ?? `${(this.config.APP_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '')}/portal`).replace(/\/+$/, '');
    // In the fragment, so the secret never reaches a server's access log when the link is opened.
    return { ...invitationView(entity), token, link: `${base}/register#token=${encodeURIComponent(token)}` };
  }

  async list(actor: Actor, companyId: string) {
    const id = await this.company(actor, companyId);
    return (await this.repo.listInvitations(id)).map(invitationView);
  }

  async get(actor: Actor, companyId: string, invitationId: string) {
    const invitation = await this.repo.findInvitation(tenantScope(actor.principal), companyId, invitationId);
    if (!invitation) throw new NotFoundException();
    return invitationView(invitation);
  }

  /** A pending (or expired) invitation can no longer be used; a used one is history: disable the account instead. */
  async revoke(actor: Actor, companyId: string, invitationId: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const invitation = await this.repo.findInvitation(tenantScope(actor.principal), companyId, invitationId, m, true);
      if (!invitation) throw new NotFoundException();
      const status = invitationStatus(invitation);
      if (status === 'revoked') return;
      if (status === 'used') {
        throw new ConflictException({ statusCode: 409, error: 'Conflict', message: 'invitation: already used; disable the portal account instead', field: 'invitation' });
      }
      await m.getRepository(PortalInvitationEntity).update({ id: invitation.id, revokedAt: IsNull(), usedAt: IsNull() }, { revokedAt: new Date() });
      await this.audit.record({ ...auditBy(actor), action: 'portal.invitation.revoked', companyId: invitation.companyId, targetType: 'portal_invitation', targetId: invitation.id, changes: { name: invitation.name } }, m);
    });
  }

  async listCustomers(actor: Actor, companyId: string) {
    const id = await this.company(actor, companyId);
    return (await this.repo.listCustomers(id)).map(portalCustomerView);
  }

  /** Disables the account and revokes every portal token it holds, at once. */
  async disableCustomer(actor: Actor, companyId: string, customerId: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const customer = await this.repo.findCustomer(tenantScope(actor.principal), companyId, customerId, m);
      if (!customer) throw new NotFoundException();
      const revoked = await this.tokens.revoke(customer.id, 'all', m);
      if (customer.disabledAt) return;
      const now = new Date();
      await m.getRepository(PortalCustomerEntity).update({ id: customer.id }, { disabledAt: now, updatedAt: now });
      await this.audit.record({ ...auditBy(actor), action: 'portal.customer.disabled', companyId: customer.companyId, targetType: 'portal_customer', targetId: customer.id, changes: { signedOutSessions: revoked } }, m);
    });
  }
}
