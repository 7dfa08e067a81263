import { Injectable, NotFoundException } from '@nestjs/common';
import { Principal, tenantScope } from '../auth/principal';
import { CompaniesRepository } from './companies.repository';

/**
 * The company a route's path names, as the principal may see it: its canonical id, or 404 — another company's
 * looks exactly like a missing one. The one check every company-scoped controller makes before asking an owner.
 */
@Injectable()
export class TenantCompanies {
  constructor(private readonly companies: CompaniesRepository) {}

  async require(principal: Principal, companyId: string): Promise<string> {
    const company = await this.companies.findCompany(tenantScope(principal), companyId);
    if (!company) throw new NotFoundException();
    return company.id;
  }
}
