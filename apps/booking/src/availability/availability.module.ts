import { Module } from '@nestjs/common';
import { AppointmentsStoreModule } from '../appointments/appointments-store.module';
import { CalcomModule } from '../calcom';
import { CatalogueModule } from '../catalogue/catalogue.module';
import { AvailabilityService } from './availability.service';

@Module({
  imports: [CalcomModule, AppointmentsStoreModule, CatalogueModule],
  providers: [AvailabilityService],
  exports: [AvailabilityService],
})
export class AvailabilityModule {}
