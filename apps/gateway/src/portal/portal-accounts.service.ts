import { ConflictException, GoneException, Inject, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { toE164 } from '@receptionist/contracts';
import { SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { GatewayEnv } from '../config';
import type { PortalPrincipal } from '../auth/principal';
import { dummyHash, hashPassword, needsRehash, verifyPassword } from '../auth/password';
import { AuditService } from '../audit/audit.service';
import { isDuplicateKey, UUID_RE } from '../common/zod-body';
import { INVALID_CREDENTIALS } from '../identity/auth.service';
import { INVITATION_TOKEN_RE, PortalLoginDto, RegisterDto } from './dto';
import { PortalCustomerEntity, PortalInvitationEntity } from './entities';
import { PortalRepository } from './portal.repository';
import { secretMatches } from '../common/bearer-secret';
import { PortalTokensService } from './portal-tokens.service';
import { invitationStatus, portalCustomerView } from './views';

type Meta = { requestId: string | null; ip: string | null };

const invitationProblem = (status: 404 | 409 | 410, message: string) => {
  const body = { statusCode: status, error: status === 404 ? 'Not Found' : status === 409 ? 'Conflict' : 'Gone', message, field: 'token' };
  return status === 404 ? new NotFoundException(body) : status === 409 ? new ConflictException(body) : new GoneException(body);
};

/** The customer's side: register from an invitation, sign in and out, who am I. */
@Injectable()
export class PortalAccountsService {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: GatewayEnv,
    private readonly dataSource: DataSource,
    private readonly repo: PortalRepository,
    private readonly tokens: PortalTokensService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Creates the portal account the invitation names (company, phone, e-mail are the invitation's, never the
   * caller's). Unknown token 404, used 409, revoked or expired 410; nothing is created then.
   */
  async register(dto: RegisterDto, meta: Meta) {
    const [, invitationId, secret] = INVITATION_TOKEN_RE.exec(dto.token)!;
    const passwordHash = await hashPassword(dto.password);
    try {
      return await this.dataSource.transaction(async (m) => {
        const invitation = await m.getRepository(PortalInvitationEntity).findOne({ where: { id: invitationId }, lock: { mode: 'pessimistic_write' } });
        if (!secretMatches(secret, invitation?.tokenHash) || !invitation) throw invitationProblem(404, 'token: no such invitation');
        const status = invitationStatus(invitation);
        if (status === 'used') throw invitationProblem(409, 'token: this invitation has already been used; sign in instead');
        if (status === 'revoked') throw invitationProblem(410, 'token: this invitation has been revoked');
        if (status === 'expired') throw invitationProblem(410, 'token: this invitation has expired; ask for a new one');
        if (await this.repo.findCustomerByContact(invitation.companyId, invitation, m)) {
          throw invitationProblem(409, 'token: this customer already has a portal account; sign in instead');
        }
        const now = new Date();
        const customer = Object.assign(new PortalCustomerEntity(), {
          id: randomUUID(),
          companyId: invitation.companyId,
          name: invitation.name,
          phone: invitation.phone,
          email: invitation.email,
          passwordHash,
          invitationId: invitation.id,
          disabledAt: null,
          createdAt: now,
          updatedAt: now,
        });
        await m.getRepository(PortalCustomerEntity).insert(customer);
        await m.getRepository(PortalInvitationEntity).update({ id: invitation.id, usedAt: IsNull() }, { usedAt: now, portalCustomerId: customer.id });
        await this.audit.record({ action: 'portal.registered', companyId: customer.companyId, targetType: 'portal_customer', targetId: customer.id, changes: { invitationId: invitation.id }, ...meta }, m);
        return portalCustomerView(customer);
      });
    } catch (error) {
      // Two registrations racing for the same phone/e-mail: the unique key decides.
      if (isDuplicateKey(error)) throw invitationProblem(409, 'token: this customer already has a portal account; sign in instead');
      throw error;
    }
  }

  /**
   * E-mail or phone + password → a portal token with PORTAL_TOKEN_TTL_MINUTES. Every failure is the same 401.
   * The same person may be a customer of several companies: the password picks the account; if it opens more
   * than one, `companyId` must say which (409, only ever told to someone holding a right password).
   */
  async login(dto: PortalLoginDto, meta: Meta) {
    const key = dto.email !== undefined ? dto.email.trim().toLowerCase() : (toE164(dto.phone) ?? '');
    const by = dto.email !== undefined ? { email: key } : { phone: key };
    const companyIds = dto.companyId !== undefined ? (UUID_RE.test(dto.companyId) ? [dto.companyId.toLowerCase()] : []) : undefined;
    const usable = key && (!companyIds || companyIds.length) ? await this.repo.findSignInCandidates(by, companyIds) : [];
    const matching: PortalCustomerEntity[] = [];
    // Always pay for at least one scrypt, so an unknown identifier is not faster than a wrong password.
    if (usable.length === 0) await verifyPassword(dto.password, await dummyHash());
    for (const candidate of usable) if ((await verifyPassword(dto.password, candidate.passwordHash)) && !candidate.disabledAt) matching.push(candidate);
    if (matching.length === 0) {
      await this.audit.record({ action: 'portal.login', outcome: 'failure', companyId: usable.length === 1 ? usable[0].companyId : null, targetType: 'portal_customer', targetId: usable.length === 1 ? usable[0].id : null, changes: by, ...meta });
      throw new UnauthorizedException(INVALID_CREDENTIALS);
    }
    if (matching.length > 1) {
      throw new ConflictException({ statusCode: 409, error: 'Conflict', message: 'companyId: you have portal accounts at several companies; say which one', field: 'companyId' });
    }
    const customer = matching[0];
    if (needsRehash(customer.passwordHash)) {
      await this.dataSource.getRepository(PortalCustomerEntity).update({ id: customer.id }, { passwordHash: await hashPassword(dto.password) });
    }
    const expiresAt = new Date(Date.now() + (this.config.PORTAL_TOKEN_TTL_MINUTES ?? 1440) * 60_000);
    const { token, entity } = await this.dataSource.transaction(async (m) => {
      const issued = await this.tokens.issue(customer, expiresAt, m);
      await this.audit.record({ action: 'portal.login', companyId: customer.companyId, actorTokenId: issued.entity.id, targetType: 'portal_customer', targetId: customer.id, ...meta }, m);
      return issued;
    });
    return { token, tokenId: entity.id, expiresAt: entity.expiresAt.toISOString(), customer: portalCustomerView(customer) };
  }

  async logout(principal: PortalPrincipal, all: boolean, meta: Meta): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const revoked = await this.tokens.revoke(principal.customerId, all ? 'all' : principal.tokenId, m);
      await this.audit.record({ action: 'portal.logout', companyId: principal.companyId, actorTokenId: principal.tokenId, targetType: 'portal_customer', targetId: principal.customerId, changes: { all, signedOutSessions: revoked }, ...meta }, m);
    });
  }

  async me(principal: PortalPrincipal) {
    const customer = await this.dataSource.getRepository(PortalCustomerEntity).findOneBy({ id: principal.customerId, companyId: principal.companyId });
    if (!customer) throw new UnauthorizedException();
    return portalCustomerView(customer);
  }
}
