import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AppointmentsClient } from '../appointments/appointments.client';
import { CallsClient } from '../calls/calls.client';
import { CompaniesModule } from '../companies/companies.module';
import { CustomersController } from './customers.controller';
import { CustomersService } from './customers.service';

/** Self-service customer records (booking owns them; their calls are voice-agent's). */
@Module({
  imports: [CompaniesModule, AuditModule],
  controllers: [CustomersController],
  providers: [AppointmentsClient, CallsClient, CustomersService],
})
export class CustomersModule {}
