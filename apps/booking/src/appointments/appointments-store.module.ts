import { Module } from '@nestjs/common';
import { AppointmentsRepository } from './appointments.repository';

/** The appointment table on its own, for availability (local bookings) and the appointment operations. */
@Module({ providers: [AppointmentsRepository], exports: [AppointmentsRepository] })
export class AppointmentsStoreModule {}
