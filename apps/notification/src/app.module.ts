import { DynamicModule, Module } from '@nestjs/common';
import { ServiceContext, ServiceRuntimeModule } from '@receptionist/service-runtime';
import type { ServiceEnv } from '@receptionist/config';
import { migrations } from './migrations';
import { NotificationSettingsModule } from './settings/settings.module';
import { MessagesModule } from './messages/messages.module';
import { AlertsModule } from './alerts/alerts.module';
import { TeamLinksModule } from './team/team.module';

/** Owns messages, templates, reminders and opt-outs; sends through Twilio (SMS, WhatsApp) and SMTP (e-mail). */
@Module({})
export class AppModule {
  static forRoot(ctx: ServiceContext<ServiceEnv>): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceRuntimeModule.forRoot({ ...ctx, migrations }),
        NotificationSettingsModule,
        MessagesModule,
        AlertsModule.forService(ctx.service),
        TeamLinksModule,
      ],
    };
  }
}
