import { DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CompanyFilter } from '../common/company-filter';
import { EmailModule } from '../email/email.module';
import { NotificationSettingsModule } from '../settings/settings.module';
import { TwilioMessenger } from '../twilio/twilio.messenger';
import { ALERT_CHANNELS, AlertChannel } from './alert-channel';
import { AlertEventsHandler } from './alert-events.handler';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';
import { EmailAlertChannel } from './channels/email.channel';
import { PushAlertChannel } from './channels/push.channel';
import { SlackAlertChannel } from './channels/slack.channel';
import { SmsAlertChannel } from './channels/sms.channel';
import { DeadLetterWatcher, SERVICE_NAME } from './dead-letter-watcher';

/**
 * Operator alerts: a low balance, a run of failed deliveries and every dead-lettered message reach the company's
 * admins (SMS, e-mail, push) and the platform operators (Slack), on whichever channels are configured.
 */
@Module({
  imports: [NotificationSettingsModule, DiscoveryModule, EmailModule],
  providers: [
    CompanyFilter,
    TwilioMessenger,
    SmsAlertChannel,
    EmailAlertChannel,
    SlackAlertChannel,
    PushAlertChannel,
    {
      provide: ALERT_CHANNELS,
      useFactory: (...channels: AlertChannel[]) => channels,
      inject: [SmsAlertChannel, EmailAlertChannel, PushAlertChannel, SlackAlertChannel],
    },
    AlertsRepository,
    AlertsService,
    AlertEventsHandler,
    DeadLetterWatcher,
  ],
  exports: [AlertsService],
})
export class AlertsModule {
  /** `service`: the name the service runs under, which is its consumer group (the dead letters' original group). */
  static forService(service: string): DynamicModule {
    return { module: AlertsModule, providers: [{ provide: SERVICE_NAME, useValue: service }] };
  }
}
