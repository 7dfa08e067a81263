import { Module } from '@nestjs/common';
import { AvailabilityModule } from '../availability/availability.module';
import { CalcomModule } from '../calcom';
import { CatalogueModule } from '../catalogue/catalogue.module';
import { CustomersModule } from '../customers/customers.module';
import { AppointmentsStoreModule } from './appointments-store.module';
import { AppointmentsService } from './appointments.service';
import { BusinessAppointmentsService } from './business-appointments.service';
import { CalendarChangesHandler } from './calendar-changes.handler';
import { CalcomCreates } from './calcom-creates';
import { CalendarLocks } from './calendar-lock';
import { OrphanScan } from './orphan-scan';

@Module({
  imports: [CatalogueModule, CustomersModule, AvailabilityModule, AppointmentsStoreModule, CalcomModule],
  providers: [AppointmentsService, BusinessAppointmentsService, CalendarLocks, CalcomCreates, OrphanScan, CalendarChangesHandler],
  exports: [AppointmentsService, BusinessAppointmentsService, CalendarChangesHandler],
})
export class AppointmentsModule {}
