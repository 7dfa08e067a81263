import { Module } from '@nestjs/common';
import { CallsModule } from '../calls/calls.module';
import { BookingClient } from '../booking/booking.client';
import { CatalogueCache } from '../booking/catalogue';
import { CatalogueInvalidation } from '../booking/catalogue-invalidation';
import { CallbackWishes } from '../callbacks/callback-wishes.service';
import { DraftsRepository } from '../drafts/drafts.repository';
import { AppointmentBookingHandler } from '../handlers/appointment-booking.handler';
import { BookingDesk } from '../handlers/booking-desk';
import { CheckAvailabilityHandler } from '../handlers/check-availability.handler';
import { InitializeCallHandler } from '../handlers/initialize-call.handler';
import { MyAppointmentsHandler } from '../handlers/my-appointments.handler';
import { ServicesAndCallbackHandler } from '../handlers/services-callback.handler';
import { VoiceFunctionsResponder } from './voice-functions.responder';

/** Retell's function calls during a call, answered over `voice.function.call`, asking booking over `booking.request`. */
@Module({
  imports: [CallsModule],
  providers: [
    BookingClient,
    CatalogueCache,
    CatalogueInvalidation,
    CallbackWishes,
    DraftsRepository,
    BookingDesk,
    InitializeCallHandler,
    CheckAvailabilityHandler,
    AppointmentBookingHandler,
    MyAppointmentsHandler,
    ServicesAndCallbackHandler,
    VoiceFunctionsResponder,
  ],
})
export class VoiceFunctionsModule {}
