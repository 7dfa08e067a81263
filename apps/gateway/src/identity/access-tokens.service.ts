import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import type { Principal } from '../auth/principal';
import type { Role } from '../auth/permissions';
import { Actor, auditBy } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { mintBearerSecret, parseBearerSecret, secretMatches } from '../common/bearer-secret';
import { AccessTokenEntity, UserEntity } from './entities';
import { customRoleAbilities, RolesRepository } from './roles.repository';
import { TokenCache } from './token-cache';

/** last_used_at is written at most this often per token (one write per request would cost every request). */
const LAST_USED_RESOLUTION_MS = 60_000;

interface TokenRow {
  id: string;
  token_hash: string;
  /** mysql2 already parses it on MariaDB (a JSON_VALID-checked column is reported as JSON); a string elsewhere. */
  abilities: string | string[];
  expires_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
  user_id: string;
  company_id: string | null;
  role: Role;
  disabled_at: Date | null;
  custom_abilities: string | string[] | null;
}

export const tokenView = (t: AccessTokenEntity) => ({
  id: t.id,
  name: t.name,
  abilities: t.abilities,
  expiresAt: t.expiresAt.toISOString(),
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
  revokedAt: t.revokedAt?.toISOString() ?? null,
  createdAt: t.createdAt.toISOString(),
});

@Injectable()
export class AccessTokensService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly roles: RolesRepository,
    private readonly audit: AuditService,
    private readonly cache: TokenCache,
  ) {}

  /**
   * Issues a token for a user; the plain secret is returned here and never again. `abilities` must already
   * be checked against the user's permissions. The audit entry commits with the token.
   */
  async issue(
    user: UserEntity,
    input: { name: string; abilities: string[]; expiresAt: Date },
    audit: { action: string; by: Partial<ReturnType<typeof auditBy>> },
    manager?: EntityManager,
  ): Promise<{ token: string; entity: AccessTokenEntity }> {
    // `rcp_<token id>.<secret>`
    const { id, token, hash } = mintBearerSecret('rcp');
    const entity = Object.assign(new AccessTokenEntity(), {
      id,
      userId: user.id,
      name: input.name,
      tokenHash: hash,
      abilities: [...new Set(input.abilities)].sort(),
      expiresAt: input.expiresAt,
      lastUsedAt: null,
      revokedAt: null,
      createdAt: new Date(),
    });
    const work = async (m: EntityManager) => {
      await m.getRepository(AccessTokenEntity).insert(entity);
      await this.audit.record(
        { ...audit.by, action: audit.action, companyId: user.companyId, targetType: 'token', targetId: id, changes: { name: entity.name, abilities: entity.abilities, expiresAt: entity.expiresAt.toISOString(), userId: user.id } },
        m,
      );
    };
    await (manager ? work(manager) : this.dataSource.transaction(work));
    return { token, entity };
  }

  /** The caller's own tokens (personal tokens: nobody lists or revokes someone else's here). */
  listOwn(actor: Actor): Promise<AccessTokenEntity[]> {
    return this.dataSource.getRepository(AccessTokenEntity).find({ where: { userId: actor.principal.userId }, order: { createdAt: 'DESC' } });
  }

  /**
   * Revokes every live token of a user (a new password or role: whoever held the old sessions keeps nothing),
   * except `keepTokenId` (the caller's own token when users change their own password). Returns how many.
   */
  async revokeAllOf(manager: EntityManager, userId: string, keepTokenId?: string): Promise<number> {
    const params: unknown[] = [new Date(), userId];
    let sql = 'UPDATE personal_access_token SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL';
    if (keepTokenId) {
      sql += ' AND id <> ?';
      params.push(keepTokenId);
    }
    const result: { affectedRows?: number } = await manager.query(sql, params);
    return result.affectedRows ?? 0;
  }

  async revokeOwn(actor: Actor, tokenId: string): Promise<void> {
    const revoked = await this.dataSource.transaction(async (m) => {
      const repo = m.getRepository(AccessTokenEntity);
      const token = /^[0-9a-f-]{36}$/i.test(tokenId) ? await repo.findOneBy({ id: tokenId.toLowerCase(), userId: actor.principal.userId }) : null;
      if (!token) throw new NotFoundException();
      if (token.revokedAt) return null;
      await repo.update({ id: token.id, revokedAt: IsNull() }, { revokedAt: new Date() });
      await this.audit.record({ ...auditBy(actor), action: 'token.revoked', companyId: actor.principal.companyId, targetType: 'token', targetId: token.id, changes: { name: token.name } }, m);
      return token.id;
    });
    if (revoked) await this.cache.revoked({ tokenId: revoked });
  }

  /** Resolves a bearer token to a principal, or null (unknown, malformed, wrong secret, expired, revoked, user disabled). */
  async authenticate(bearer: string): Promise<Principal | null> {
    const cached = this.cache.get(bearer);
    if (cached) return cached;
    const parsed = parseBearerSecret('rcp', bearer);
    if (!parsed) return null;
    const { id, secret } = parsed;
    const rows: TokenRow[] = await this.dataSource.query(
      `SELECT t.id, t.token_hash, t.abilities, t.expires_at, t.revoked_at, t.last_used_at, u.id AS user_id, u.company_id, u.role, u.disabled_at,
              r.abilities AS custom_abilities
         FROM personal_access_token t JOIN app_user u ON u.id = t.user_id LEFT JOIN company_role r ON r.id = u.custom_role_id WHERE t.id = ?`,
      [id],
    );
    const row = rows[0];
    if (!secretMatches(secret, row?.token_hash) || !row) return null;
    const now = Date.now();
    if (row.revoked_at || row.disabled_at || new Date(row.expires_at).getTime() <= now) return null;
    // A custom role's abilities come with the same row, so a narrowed role binds its holders at once.
    const granted = row.role === 'company_custom' ? customRoleAbilities(row.custom_abilities) : await this.roles.permissionsOf(row.role);
    const tokenAbilities = typeof row.abilities === 'string' ? (JSON.parse(row.abilities) as string[]) : row.abilities;
    const abilities = tokenAbilities.filter((a) => granted.has(a));
    if (!row.last_used_at || now - new Date(row.last_used_at).getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.dataSource.query('UPDATE personal_access_token SET last_used_at = ? WHERE id = ?', [new Date(now), row.id]);
    }
    const principal: Principal = { kind: 'token', tokenId: row.id, userId: row.user_id, companyId: row.company_id, role: row.role, abilities };
    this.cache.remember(bearer, principal, new Date(row.expires_at));
    return principal;
  }
}
