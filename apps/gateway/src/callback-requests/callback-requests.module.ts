import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CompaniesModule } from '../companies/companies.module';
import { CallbackRequestsClient } from './callback-requests.client';
import { CallbackRequestsController, CallbackRequestsService, TokenCallbackRequestsController } from './callback-requests.controller';

/** Admin API for callback requests (booking owns them; asked over `booking.request`). */
@Module({
  imports: [CompaniesModule, AuditModule],
  controllers: [CallbackRequestsController, TokenCallbackRequestsController],
  providers: [CallbackRequestsClient, CallbackRequestsService],
})
export class CallbackRequestsModule {}
