import { Module } from '@nestjs/common';
import { CompaniesController } from './companies.controller';
import { CompaniesRepository } from './companies.repository';
import { CompaniesService } from './companies.service';
import { TenantCompanies } from './tenant-companies';

/** Companies, branches and the phone-number / Retell-agent routing (CompaniesRepository.findCompanyBy*). */
@Module({
  controllers: [CompaniesController],
  providers: [CompaniesRepository, CompaniesService, TenantCompanies],
  exports: [CompaniesRepository, TenantCompanies],
})
export class CompaniesModule {}
