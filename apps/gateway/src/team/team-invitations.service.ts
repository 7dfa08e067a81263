import { ConflictException, GoneException, Inject, Injectable, NotFoundException, BadRequestException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { Outbox } from '@receptionist/messaging';
import { SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { GatewayEnv } from '../config';
import { hashPassword } from '../auth/password';
import { tenantScope } from '../auth/principal';
import { Actor, auditBy } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { mintBearerSecret, secretMatches } from '../common/bearer-secret';
import { isDuplicateKey, UUID_RE } from '../common/zod-body';
import { CompaniesRepository } from '../companies/companies.repository';
import { UserEntity } from '../identity/entities';
import { UsersRepository } from '../identity/users.repository';
import { assertMayAssign, userView } from '../identity/users.service';
import { AcceptInvitationDto, CreateTeamInvitationDto, TEAM_INVITATION_TOKEN_RE } from './dto';
import { CompanyRoleEntity, UserInvitationEntity } from './entities';
import { consoleLink } from './links';

type Meta = { requestId: string | null; ip: string | null };
export type TeamInvitationStatus = 'pending' | 'used' | 'revoked' | 'expired';

export function teamInvitationStatus(i: UserInvitationEntity, now = Date.now()): TeamInvitationStatus {
  if (i.usedAt) return 'used';
  if (i.revokedAt) return 'revoked';
  return i.expiresAt.getTime() <= now ? 'expired' : 'pending';
}

export const teamInvitationView = (i: UserInvitationEntity) => ({
  id: i.id,
  companyId: i.companyId,
  name: i.name,
  email: i.email,
  phone: i.phone,
  channel: i.channel,
  role: i.role,
  customRoleId: i.customRoleId,
  status: teamInvitationStatus(i),
  expiresAt: i.expiresAt.toISOString(),
  usedAt: i.usedAt?.toISOString() ?? null,
  revokedAt: i.revokedAt?.toISOString() ?? null,
  userId: i.userId,
  createdAt: i.createdAt.toISOString(),
});

const tokenProblem = (status: 404 | 409 | 410, message: string) => {
  const body = { statusCode: status, error: status === 404 ? 'Not Found' : status === 409 ? 'Conflict' : 'Gone', message, field: 'token' };
  return status === 404 ? new NotFoundException(body) : status === 409 ? new ConflictException(body) : new GoneException(body);
};
const emailTaken = () => new ConflictException({ statusCode: 409, message: 'email: already registered', field: 'email', fields: [{ field: 'email', message: 'already registered' }] });

/**
 * Inviting team members: the invitation row and its `team.invitation.created` event commit together (outbox), and
 * the notification service sends the link by e-mail or SMS. The link's secret is in that event and the message
 * only; the API answers the invitation without it, and the database keeps its SHA-256.
 */
@Injectable()
export class TeamInvitationsService {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: GatewayEnv,
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly companies: CompaniesRepository,
    private readonly users: UsersRepository,
    private readonly audit: AuditService,
  ) {}

  async create(actor: Actor, companyId: string, dto: CreateTeamInvitationDto) {
    const company = await this.companies.findCompany(tenantScope(actor.principal), companyId);
    if (!company) throw new NotFoundException();
    const role = dto.customRoleId ? 'company_custom' : dto.role!;
    assertMayAssign(actor, role);
    if (dto.email && (await this.users.findByEmail(dto.email))) throw emailTaken();
    const { id, token, hash } = mintBearerSecret('rti');
    const invitation = Object.assign(new UserInvitationEntity(), {
      id,
      companyId: company.id,
      name: dto.name,
      email: dto.email ?? null,
      phone: dto.phone ?? null,
      channel: dto.channel,
      role,
      customRoleId: dto.customRoleId ?? null,
      tokenHash: hash,
      expiresAt: new Date(Date.now() + this.config.TEAM_INVITATION_TTL_HOURS * 3600_000),
      usedAt: null,
      revokedAt: null,
      userId: null,
      createdByUserId: actor.principal.userId,
      createdAt: new Date(),
    });
    await this.outbox.transaction(async (m, publish) => {
      if (invitation.customRoleId && !(await m.getRepository(CompanyRoleEntity).existsBy({ id: invitation.customRoleId, companyId: company.id }))) {
        throw new BadRequestException({ statusCode: 400, message: 'customRoleId: no such role in this company', field: 'customRoleId', fields: [{ field: 'customRoleId', message: 'no such role in this company' }] });
      }
      await m.getRepository(UserInvitationEntity).insert(invitation);
      await publish({
        topic: Topics.teamInvitationCreated.name,
        key: invitation.id,
        companyId: company.id,
        subject: invitation.id,
        data: {
          invitationId: invitation.id,
          role,
          channel: invitation.channel,
          to: invitation.channel === 'email' ? invitation.email! : invitation.phone!,
          name: invitation.name,
          companyName: company.name,
          language: company.language,
          link: consoleLink(this.config, 'accept-invitation', token),
          expiresAt: invitation.expiresAt.toISOString(),
        },
      });
      await this.audit.record(
        { ...auditBy(actor), action: 'team.invitation.created', companyId: company.id, targetType: 'user_invitation', targetId: invitation.id, changes: { name: invitation.name, email: invitation.email, phone: invitation.phone, channel: invitation.channel, role, customRoleId: invitation.customRoleId } },
        m,
      );
    });
    return teamInvitationView(invitation);
  }

  async list(actor: Actor, companyId: string) {
    const company = await this.companies.findCompany(tenantScope(actor.principal), companyId);
    if (!company) throw new NotFoundException();
    const rows = await this.dataSource.getRepository(UserInvitationEntity).find({ where: { companyId: company.id }, order: { createdAt: 'DESC' }, take: 200 });
    return rows.map(teamInvitationView);
  }

  private async find(actor: Actor, companyId: string, invitationId: string, lock = false, m = this.dataSource.manager) {
    const company = await this.companies.findCompany(tenantScope(actor.principal), companyId, m);
    if (!company || !UUID_RE.test(invitationId)) throw new NotFoundException();
    const invitation = await m.getRepository(UserInvitationEntity).findOne({ where: { id: invitationId.toLowerCase(), companyId: company.id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!invitation) throw new NotFoundException();
    return invitation;
  }

  async get(actor: Actor, companyId: string, invitationId: string) {
    return teamInvitationView(await this.find(actor, companyId, invitationId));
  }

  /** The link stops working; a used invitation is history (409: change or disable the user instead). */
  async revoke(actor: Actor, companyId: string, invitationId: string): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const invitation = await this.find(actor, companyId, invitationId, true, m);
      const status = teamInvitationStatus(invitation);
      if (status === 'revoked') return;
      if (status === 'used') throw new ConflictException({ statusCode: 409, message: 'invitation: already accepted; change or disable the user instead', field: 'invitation' });
      await m.getRepository(UserInvitationEntity).update({ id: invitation.id, usedAt: IsNull(), revokedAt: IsNull() }, { revokedAt: new Date() });
      await this.audit.record({ ...auditBy(actor), action: 'team.invitation.revoked', companyId: invitation.companyId, targetType: 'user_invitation', targetId: invitation.id, changes: { name: invitation.name } }, m);
    });
  }

  /**
   * The invitee sets a password: the user is created with the invitation's company and role (never the caller's
   * choice), and the link is spent. Unknown token 404, used 409, revoked or expired 410; nothing is created then.
   */
  async accept(dto: AcceptInvitationDto, meta: Meta) {
    const [, invitationId, secret] = TEAM_INVITATION_TOKEN_RE.exec(dto.token)!;
    const passwordHash = await hashPassword(dto.password);
    try {
      return await this.dataSource.transaction(async (m) => {
        const invitation = await m.getRepository(UserInvitationEntity).findOne({ where: { id: invitationId }, lock: { mode: 'pessimistic_write' } });
        if (!secretMatches(secret, invitation?.tokenHash) || !invitation) throw tokenProblem(404, 'token: no such invitation');
        const status = teamInvitationStatus(invitation);
        if (status === 'used') throw tokenProblem(409, 'token: this invitation has already been used; sign in instead');
        if (status === 'revoked') throw tokenProblem(410, 'token: this invitation has been revoked');
        if (status === 'expired') throw tokenProblem(410, 'token: this invitation has expired; ask for a new one');
        const email = invitation.email ?? dto.email;
        if (!email) {
          throw new BadRequestException({ statusCode: 400, message: 'email: required (the invitation came by SMS; give the address you will sign in with)', field: 'email', fields: [{ field: 'email', message: 'required for an invitation sent by SMS' }] });
        }
        const now = new Date();
        const user = Object.assign(new UserEntity(), {
          id: randomUUID(),
          companyId: invitation.companyId,
          email,
          name: dto.name ?? invitation.name,
          passwordHash,
          role: invitation.role,
          customRoleId: invitation.customRoleId,
          disabledAt: null,
          createdAt: now,
          updatedAt: now,
        });
        await m.getRepository(UserEntity).insert(user);
        await m.getRepository(UserInvitationEntity).update({ id: invitation.id }, { usedAt: now, userId: user.id });
        await this.audit.record({ action: 'team.invitation.accepted', companyId: invitation.companyId, actorUserId: user.id, targetType: 'user', targetId: user.id, changes: { invitationId: invitation.id, email, role: user.role, customRoleId: user.customRoleId }, ...meta }, m);
        return userView(user);
      });
    } catch (error) {
      if (isDuplicateKey(error)) throw emailTaken();
      throw error;
    }
  }
}
