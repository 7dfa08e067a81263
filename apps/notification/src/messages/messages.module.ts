import { NotificationPrivacyHandler } from '../privacy/privacy.handler';
import { Module } from '@nestjs/common';
import { CompanyFilter } from '../common/company-filter';
import { EmailModule } from '../email/email.module';
import { NotificationSettingsModule } from '../settings/settings.module';
import { TwilioMessenger } from '../twilio/twilio.messenger';
import { AppointmentEmails } from './appointment-emails';
import { AppointmentStates } from './appointment-states';
import { BookingEventsHandler } from './booking-events.handler';
import { CompanyPolicies } from './company-policy';
import { Dispatcher } from './dispatcher';
import { MessageComposer } from './message-composer';
import { MessagesRepository } from './messages.repository';
import { TwilioEventsHandler } from './twilio-events.handler';

/** Confirmations, change notices and reminders for customers: scheduled from booking events, sent through Twilio (and SMTP for e-mail). */
@Module({
  imports: [NotificationSettingsModule, EmailModule],
  providers: [CompanyFilter, MessagesRepository, AppointmentEmails, AppointmentStates, CompanyPolicies, MessageComposer, TwilioMessenger, Dispatcher, BookingEventsHandler, TwilioEventsHandler, NotificationPrivacyHandler],
  exports: [Dispatcher, MessagesRepository],
})
export class MessagesModule {}
