import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import type { PortalAuthenticator, PortalPrincipal } from '../auth/principal';
import { mintBearerSecret, parseBearerSecret, secretMatches } from '../common/bearer-secret';
import { PortalCustomerEntity, PortalTokenEntity } from './entities';

const LAST_USED_RESOLUTION_MS = 60_000;

interface TokenRow {
  id: string;
  token_hash: string;
  expires_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
  customer_id: string;
  company_id: string;
  phone: string | null;
  email: string | null;
  disabled_at: Date | null;
}

/** Portal tokens: issued at sign-in, checked by the AuthGuard on `@PortalApi()` routes, revoked at sign-out. */
@Injectable()
export class PortalTokensService implements PortalAuthenticator {
  constructor(private readonly dataSource: DataSource) {}

  async issue(customer: PortalCustomerEntity, expiresAt: Date, manager: EntityManager = this.dataSource.manager): Promise<{ token: string; entity: PortalTokenEntity }> {
    // `rpt_<token id>.<secret>`
    const { id, token, hash } = mintBearerSecret('rpt');
    const entity = Object.assign(new PortalTokenEntity(), {
      id,
      portalCustomerId: customer.id,
      companyId: customer.companyId,
      tokenHash: hash,
      expiresAt,
      lastUsedAt: null,
      revokedAt: null,
      createdAt: new Date(),
    });
    await manager.getRepository(PortalTokenEntity).insert(entity);
    return { token, entity };
  }

  /** null for anything not accepted: unknown, malformed, wrong secret, expired, revoked, account disabled. */
  async authenticate(bearer: string): Promise<PortalPrincipal | null> {
    const parsed = parseBearerSecret('rpt', bearer);
    if (!parsed) return null;
    const { id, secret } = parsed;
    const rows: TokenRow[] = await this.dataSource.query(
      `SELECT t.id, t.token_hash, t.expires_at, t.revoked_at, t.last_used_at, c.id AS customer_id, c.company_id, c.phone, c.email, c.disabled_at
         FROM portal_token t JOIN portal_customer c ON c.id = t.portal_customer_id WHERE t.id = ?`,
      [id],
    );
    const row = rows[0];
    if (!secretMatches(secret, row?.token_hash) || !row) return null;
    const now = Date.now();
    if (row.revoked_at || row.disabled_at || new Date(row.expires_at).getTime() <= now) return null;
    if (!row.last_used_at || now - new Date(row.last_used_at).getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.dataSource.query('UPDATE portal_token SET last_used_at = ? WHERE id = ?', [new Date(now), row.id]);
    }
    return { kind: 'portal', tokenId: row.id, customerId: row.customer_id, companyId: row.company_id, phone: row.phone, email: row.email };
  }

  /** Revokes one token of the customer, or (all) every token they hold; returns how many were still live. */
  async revoke(customerId: string, tokenId: string | 'all', manager: EntityManager = this.dataSource.manager): Promise<number> {
    const where = tokenId === 'all' ? { portalCustomerId: customerId, revokedAt: IsNull() } : { id: tokenId, portalCustomerId: customerId, revokedAt: IsNull() };
    const result = await manager.getRepository(PortalTokenEntity).update(where, { revokedAt: new Date() });
    return result.affected ?? 0;
  }
}
