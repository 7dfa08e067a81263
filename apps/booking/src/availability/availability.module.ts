import { Module } from '@nestjs/common';
import { AppointmentsStoreModule } from '../appointments/appointments-store.module';
import { CalcomModule } from '../calcom';
import { CatalogueModule } from '../catalogue/catalogue.module';
import { AvailabilityService } from './availability.service';
import { CalcomChangesHandler } from './calcom-changes.handler';

@Module({
  imports: [CalcomModule, AppointmentsStoreModule, CatalogueModule],
  providers: [AvailabilityService, CalcomChangesHandler],
  exports: [AvailabilityService],
})
export class AvailabilityModule {}
