import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RolePermissionEntity } from './entities';

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
