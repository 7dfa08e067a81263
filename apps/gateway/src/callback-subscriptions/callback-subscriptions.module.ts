import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CompaniesModule } from '../companies/companies.module';
import { CallbackSubscriptionsClient } from './callback-subscriptions.client';
import { CallbackSubscriptionsController } from './callback-subscriptions.controller';

/** Admin API for callback webhook subscriptions (sync owns them; asked over `sync.request`). */
@Module({
  imports: [CompaniesModule, AuditModule],
  controllers: [CallbackSubscriptionsController],
  providers: [CallbackSubscriptionsClient],
})
export class CallbackSubscriptionsModule {}
