import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CallsClient } from '../calls/calls.client';
import { AppointmentsClient } from '../appointments/appointments.client';
import { CompaniesModule } from '../companies/companies.module';
import { ErasureProgressHandler } from './erasure-progress.handler';
import { PrivacyClient } from './privacy.client';
import { PrivacyController } from './privacy.controller';
import { CustomerPrivacyService } from './privacy.service';

/** Export, erasure and retention of callers' data across the services (issue 16). */
@Module({
  imports: [CompaniesModule, AuditModule],
  controllers: [PrivacyController],
  providers: [PrivacyClient, CallsClient, AppointmentsClient, CustomerPrivacyService, ErasureProgressHandler],
})
export class PrivacyModule {}
