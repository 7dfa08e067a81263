import { Module } from '@nestjs/common';
import { CompanyFilter } from '../common/company-filter';
import { NotificationSettingsSetupHandler } from './settings-setup.handler';
import { NotificationSettingsRepository } from './settings.repository';

/** Company notification settings from onboarding (`company.setup.notification`), read by whatever sends messages. */
@Module({
  providers: [CompanyFilter, NotificationSettingsRepository, NotificationSettingsSetupHandler],
  exports: [NotificationSettingsRepository],
})
export class NotificationSettingsModule {}
