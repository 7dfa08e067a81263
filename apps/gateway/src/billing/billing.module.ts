import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CompaniesModule } from '../companies/companies.module';
import { BillingClient } from './billing.client';
import { BillingController } from './billing.controller';
import { PlansController, SubscriptionController } from './plans.controller';

/** Admin API for a company's billing and plan subscription, and the operator's plans (billing owns the data; asked over `billing.request`). */
@Module({
  imports: [CompaniesModule, AuditModule],
  controllers: [BillingController, PlansController, SubscriptionController],
  providers: [BillingClient],
})
export class BillingModule {}
