import { Module } from '@nestjs/common';
import { CompaniesController } from './companies.controller';
import { CompaniesRepository } from './companies.repository';
import { CompaniesService } from './companies.service';

/** Companies, branches and the phone-number / Retell-agent routing (CompaniesRepository.findCompanyBy*). */
@Module({
  controllers: [CompaniesController],
  providers: [CompaniesRepository, CompaniesService],
  exports: [CompaniesRepository],
})
export class CompaniesModule {}
