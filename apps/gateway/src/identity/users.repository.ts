import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { inScope, TenantScope } from '../auth/principal';
import { UUID_RE } from '../common/zod-body';
import { UserEntity } from './entities';

/** Users; company users are always read through the caller's tenant scope. */
@Injectable()
export class UsersRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** For sign-in only (not tenant-scoped: the e-mail is what identifies the tenant). */
  findByEmail(email: string): Promise<UserEntity | null> {
    return this.dataSource.getRepository(UserEntity).findOneBy({ email: email.trim().toLowerCase() });
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.dataSource.getRepository(UserEntity).findOneBy({ id });
  }

  findInCompany(scope: TenantScope, companyId: string, userId: string, manager: EntityManager = this.dataSource.manager): Promise<UserEntity | null> {
    if (!UUID_RE.test(companyId) || !UUID_RE.test(userId) || !inScope(scope, companyId.toLowerCase())) return Promise.resolve(null);
    return manager.getRepository(UserEntity).findOneBy({ id: userId.toLowerCase(), companyId: companyId.toLowerCase() });
  }

  listInCompany(scope: TenantScope, companyId: string): Promise<UserEntity[]> {
    if (!inScope(scope, companyId)) return Promise.resolve([]);
    return this.dataSource.getRepository(UserEntity).find({ where: { companyId }, order: { email: 'ASC' } });
  }

  async platformAdminExists(): Promise<boolean> {
    return (await this.dataSource.getRepository(UserEntity).count({ where: { role: 'platform_admin', disabledAt: IsNull() } })) > 0;
  }
}
