import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { COMPANY_ABILITIES } from '../auth/permissions';
import { RolePermissionEntity } from './entities';

const COMPANY_ABILITY_SET = new Set<string>(COMPANY_ABILITIES);

/** A custom role's stored abilities (JSON), limited to what a company role may hold whatever the row says. */
export function customRoleAbilities(raw: string | string[] | null | undefined): Set<string> {
  if (!raw) return new Set();
  const list = typeof raw === 'string' ? (JSON.parse(raw) as string[]) : raw;
  return new Set(list.filter((a) => COMPANY_ABILITY_SET.has(a)));
}

const TTL_MS = 30_000;

/**
 * Role → permissions from the `role_permission` table, cached in memory for 30 s (read on every
 * authenticated request; a changed mapping takes effect within the TTL on every instance).
 */
@Injectable()
export class RolesRepository {
  private cache?: { at: number; map: Map<string, Set<string>> };
  private loading?: Promise<Map<string, Set<string>>>;

  constructor(private readonly dataSource: DataSource) {}

  async permissionsOf(role: string): Promise<Set<string>> {
    return (await this.map()).get(role) ?? new Set();
  }

  /**
   * A user's permissions: a built-in role's from role_permission, a `company_custom` user's from their company role,
   * read fresh (not cached), so removing an ability from a custom role takes effect on the next request.
   */
  async permissionsOfUser(user: { role: string; customRoleId: string | null }): Promise<Set<string>> {
    if (user.role !== 'company_custom') return this.permissionsOf(user.role);
    if (!user.customRoleId) return new Set();
    const rows: { abilities: string | string[] }[] = await this.dataSource.query('SELECT abilities FROM company_role WHERE id = ?', [user.customRoleId]);
    return customRoleAbilities(rows[0]?.abilities);
  }

  private async map(): Promise<Map<string, Set<string>>> {
    if (this.cache && Date.now() - this.cache.at < TTL_MS) return this.cache.map;
    this.loading ??= this.dataSource
      .getRepository(RolePermissionEntity)
      .find()
      .then((rows) => {
        const map = new Map<string, Set<string>>();
        for (const r of rows) (map.get(r.role) ?? map.set(r.role, new Set()).get(r.role)!).add(r.permission);
        this.cache = { at: Date.now(), map };
        return map;
      })
      .finally(() => (this.loading = undefined));
    return this.loading;
  }
}
