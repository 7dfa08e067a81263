import { Module } from '@nestjs/common';
import { PORTAL_AUTHENTICATOR } from '../auth/principal';
import { CompaniesModule } from '../companies/companies.module';
import { InvitationsService } from './invitations.service';
import { PortalInvitationsController } from './invitations.controller';
import { PortalAccountsService } from './portal-accounts.service';
import { PortalBookingClient } from './portal-booking.client';
import { PortalController } from './portal.controller';
import { PortalNewBookingController } from './portal-new-booking.controller';
import { PortalRepository } from './portal.repository';
import { PortalTokensService } from './portal-tokens.service';

/**
 * Customer portal: invitations and accounts (admin API), registration, sign-in and the customer's own
 * appointments and new bookings (asked of booking over `booking.request`). Provides the AuthGuard's portal-token check.
 */
@Module({
  imports: [CompaniesModule],
  controllers: [PortalInvitationsController, PortalController, PortalNewBookingController],
  providers: [
    PortalRepository,
    PortalTokensService,
    InvitationsService,
    PortalAccountsService,
    PortalBookingClient,
    { provide: PORTAL_AUTHENTICATOR, useExisting: PortalTokensService },
  ],
})
export class PortalModule {}
