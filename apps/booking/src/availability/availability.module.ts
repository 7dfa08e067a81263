import { Module } from '@nestjs/common';
import { AppointmentsStoreModule } from '../appointments/appointments-store.module';
import { CalcomModule } from '../calcom';
import { CatalogueModule } from '../catalogue/catalogue.module';
import { AvailabilityService } from './availability.service';
import { SlotHoldDesk } from './slot-hold-desk';
import { SlotHolds } from './slot-holds';

@Module({
  imports: [CalcomModule, AppointmentsStoreModule, CatalogueModule],
  providers: [AvailabilityService, SlotHolds, SlotHoldDesk],
  exports: [AvailabilityService, SlotHolds, SlotHoldDesk],
})
export class AvailabilityModule {}
