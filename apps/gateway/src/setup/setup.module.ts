import { Module } from '@nestjs/common';
import { AppointmentsClient } from '../appointments/appointments.client';
import { CompaniesModule } from '../companies/companies.module';
import { OnboardingModule } from '../onboarding/onboarding.module';
import { CatalogueSetupController } from './catalogue-setup.controller';
import { SettingsSetupController } from './settings-setup.controller';
import { SetupEditService } from './setup-edit.service';
import { SetupUsage } from './setup-usage';

/** A company's set-up edited through the API, applied through the import's path (docs/onboarding.md). */
@Module({
  imports: [CompaniesModule, OnboardingModule],
  controllers: [CatalogueSetupController, SettingsSetupController],
  providers: [SetupEditService, SetupUsage, AppointmentsClient],
})
export class SetupModule {}
