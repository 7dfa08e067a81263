import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CompaniesModule } from '../companies/companies.module';
import { BillingClient } from './billing.client';
import { BillingController } from './billing.controller';

/** Admin API for a company's billing (billing owns the data; asked over `billing.request`). */
@Module({
  imports: [CompaniesModule, AuditModule],
  controllers: [BillingController],
  providers: [BillingClient],
})
export class BillingModule {}
