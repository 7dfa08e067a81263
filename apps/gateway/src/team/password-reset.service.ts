import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { DataSource, IsNull, MoreThan } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { Outbox } from '@receptionist/messaging';
import { LOGGER, REDIS, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { GatewayEnv } from '../config';
import { hashPassword } from '../auth/password';
import { AuditService } from '../audit/audit.service';
import { mintBearerSecret, secretMatches } from '../common/bearer-secret';
import { CompanyEntity } from '../companies/entities';
import { TokenCache } from '../identity/token-cache';
import { AccessTokensService } from '../identity/access-tokens.service';
import { UserEntity } from '../identity/entities';
import { ConfirmPasswordResetDto, PASSWORD_RESET_TOKEN_RE } from './dto';
import { PasswordResetEntity } from './entities';
import { consoleLink } from './links';

type Meta = { requestId: string | null; ip: string | null };

/** The one answer to every reset request, whether or not the address has an account. */
export const RESET_REQUESTED = { status: 'accepted', message: 'If an account exists for this address, a link to reset its password is on its way.' } as const;

const invalidLink = () =>
  new BadRequestException({ statusCode: 400, message: 'token: this link is invalid, used or expired; ask for a new one', field: 'token', fields: [{ field: 'token', message: 'invalid, used or expired' }] });

/**
 * Password reset by a one-time link: a request answers the same whether or not the address has an account (no
 * enumeration); for an enabled account it stores the SHA-256 of a new secret (earlier open links stop working) and
 * publishes `team.password-reset.requested` with the link, which the notification service e-mails. At most
 * PASSWORD_RESET_PER_HOUR links per account and hour (more requests change nothing, and still answer the same),
 * besides the route's `sensitive` limit per client. The link works once, for PASSWORD_RESET_TTL_MINUTES; using it
 * sets the password and revokes every token of the user.
 */
@Injectable()
export class PasswordResetService {
  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: GatewayEnv,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly tokens: AccessTokensService,
    private readonly audit: AuditService,
    private readonly tokenCache: TokenCache,
  ) {}

  /** Counts a link for this account in the hour; false once the hour's allowance is used. */
  private async withinAllowance(userId: string): Promise<boolean> {
    const key = `${this.config.RATE_LIMIT_KEY_PREFIX ?? 'gateway:rl'}:password-reset:${createHash('sha256').update(userId).digest('base64url').slice(0, 22)}`;
    // The hour starts with the first link (SET NX), so steady requests cannot keep the window open for ever.
    const results = await this.redis.multi().set(key, '0', 'EX', 3600, 'NX').incr(key).exec();
    const [error, count] = results?.[1] ?? [new Error('no answer'), 0];
    if (error) throw error;
    return Number(count) <= this.config.PASSWORD_RESET_PER_HOUR;
  }

  async request(rawEmail: string, meta: Meta): Promise<typeof RESET_REQUESTED> {
    const email = rawEmail.trim().toLowerCase();
    const user = email ? await this.dataSource.getRepository(UserEntity).findOneBy({ email }) : null;
    if (!user || user.disabledAt) {
      await this.audit.record({ action: 'auth.password_reset.requested', outcome: 'failure', companyId: user?.companyId ?? null, actorUserId: null, targetType: 'user', targetId: user?.id ?? null, changes: { reason: user ? 'disabled' : 'unknown address' }, ...meta });
      return RESET_REQUESTED;
    }
    if (!(await this.withinAllowance(user.id))) {
      this.logger.info({ userId: user.id }, 'password reset: hourly allowance used, no link sent');
      await this.audit.record({ action: 'auth.password_reset.requested', outcome: 'failure', companyId: user.companyId, actorUserId: null, targetType: 'user', targetId: user.id, changes: { reason: 'rate limited' }, ...meta });
      return RESET_REQUESTED;
    }
    const company = user.companyId ? await this.dataSource.getRepository(CompanyEntity).findOneBy({ id: user.companyId }) : null;
    const { id, token, hash } = mintBearerSecret('rpr');
    const now = new Date();
    const reset = Object.assign(new PasswordResetEntity(), { id, userId: user.id, tokenHash: hash, expiresAt: new Date(now.getTime() + this.config.PASSWORD_RESET_TTL_MINUTES * 60_000), usedAt: null, createdAt: now });
    await this.outbox.transaction(async (m, publish) => {
      // Only the newest link works: one left in an old mail is not a second way in.
      await m.getRepository(PasswordResetEntity).update({ userId: user.id, usedAt: IsNull(), expiresAt: MoreThan(now) }, { expiresAt: now });
      await m.getRepository(PasswordResetEntity).insert(reset);
      await publish({
        topic: Topics.passwordResetRequested.name,
        key: user.id,
        companyId: user.companyId,
        subject: user.id,
        data: { resetId: id, userId: user.id, channel: 'email', to: user.email, name: user.name, companyName: company?.name ?? null, language: company?.language ?? 'en', link: consoleLink(this.config, 'reset-password', token), expiresAt: reset.expiresAt.toISOString() },
      });
      await this.audit.record({ action: 'auth.password_reset.requested', companyId: user.companyId, actorUserId: null, targetType: 'user', targetId: user.id, changes: { resetId: id, expiresAt: reset.expiresAt.toISOString() }, ...meta }, m);
    });
    return RESET_REQUESTED;
  }

  /** Sets the new password once per link; every token of the user is revoked with it. */
  async confirm(dto: ConfirmPasswordResetDto, meta: Meta): Promise<{ status: 'password changed'; tokensRevoked: number }> {
    const [, resetId, secret] = PASSWORD_RESET_TOKEN_RE.exec(dto.token)!;
    const passwordHash = await hashPassword(dto.password);
    const done = await this.dataSource.transaction(async (m) => {
      const reset = await m.getRepository(PasswordResetEntity).findOne({ where: { id: resetId }, lock: { mode: 'pessimistic_write' } });
      if (!secretMatches(secret, reset?.tokenHash) || !reset || reset.usedAt || reset.expiresAt.getTime() <= Date.now()) throw invalidLink();
      const user = await m.getRepository(UserEntity).findOneBy({ id: reset.userId });
      if (!user || user.disabledAt) throw invalidLink();
      const now = new Date();
      await m.getRepository(PasswordResetEntity).update({ id: reset.id }, { usedAt: now });
      await m.getRepository(UserEntity).update({ id: user.id }, { passwordHash, updatedAt: now });
      const tokensRevoked = await this.tokens.revokeAllOf(m, user.id);
      await this.audit.record({ action: 'auth.password_reset.completed', companyId: user.companyId, actorUserId: user.id, targetType: 'user', targetId: user.id, changes: { resetId: reset.id, password: 'changed', tokensRevoked }, ...meta }, m);
      return { status: 'password changed' as const, tokensRevoked, userId: user.id };
    });
    await this.tokenCache.revoked({ userId: done.userId });
    return { status: done.status, tokensRevoked: done.tokensRevoked };
  }
}

