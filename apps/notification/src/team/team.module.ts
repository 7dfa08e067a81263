import { Module } from '@nestjs/common';
import { CompanyFilter } from '../common/company-filter';
import { EmailModule } from '../email/email.module';
import { TwilioMessenger } from '../twilio/twilio.messenger';
import { TeamLinksHandler } from './team-links.handler';

/** One-time links for a company's team members (invitations, password resets), by e-mail or SMS. */
@Module({
  imports: [EmailModule],
  providers: [CompanyFilter, TwilioMessenger, TeamLinksHandler],
})
export class TeamLinksModule {}
