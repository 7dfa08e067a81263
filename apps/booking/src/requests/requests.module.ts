import { Module } from '@nestjs/common';
import { AppointmentsModule } from '../appointments/appointments.module';
import { AvailabilityModule } from '../availability/availability.module';
import { CallbacksModule } from '../callbacks/callbacks.module';
import { CatalogueModule } from '../catalogue/catalogue.module';
import { CustomersModule } from '../customers/customers.module';
import { CustomerDirectoryService } from '../customers/customer-directory.service';
import { BookingRequestsHandler } from './booking-requests.handler';

@Module({
  imports: [CatalogueModule, CustomersModule, AvailabilityModule, AppointmentsModule, CallbacksModule],
  providers: [BookingRequestsHandler, CustomerDirectoryService],
})
export class RequestsModule {}
