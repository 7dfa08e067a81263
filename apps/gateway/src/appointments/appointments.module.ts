import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CompaniesModule } from '../companies/companies.module';
import { AppointmentsClient } from './appointments.client';
import { AppointmentsController } from './appointments.controller';
import { AppointmentsService } from './appointments.service';
import { CatalogueController } from './catalogue.controller';

/** Self-service appointments of a company (booking owns them; asked over `booking.request`). */
@Module({
  imports: [CompaniesModule, AuditModule],
  controllers: [AppointmentsController, CatalogueController],
  providers: [AppointmentsClient, AppointmentsService],
})
export class AppointmentsModule {}
