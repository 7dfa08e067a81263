import { Module } from '@nestjs/common';
import { AppointmentsModule } from '../appointments/appointments.module';
import { AppointmentsStoreModule } from '../appointments/appointments-store.module';
import { CalcomModule } from '../calcom';
import { CalendarConnectionsService } from '../calcom/calendar-connections.service';
import { CalendarReconciler } from './calendar-reconciler';
import { CalendarRequestsHandler } from './calendar-requests.handler';

/** Companies' calendar connections and reconciliation, asked over `calendar.request`. */
@Module({
  imports: [CalcomModule, AppointmentsModule, AppointmentsStoreModule],
  providers: [CalendarConnectionsService, CalendarReconciler, CalendarRequestsHandler],
})
export class CalendarsModule {}
