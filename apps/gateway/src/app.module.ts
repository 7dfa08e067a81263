import { DynamicModule, Module } from '@nestjs/common';
import { ServiceContext, ServiceRuntimeModule } from '@receptionist/service-runtime';
import { migrations } from './migrations';
import { gatewayEntities } from './entities';
import type { ServiceEnv } from '@receptionist/config';
import type { GatewayEnv } from './config';
import { PublicHealthController } from './health/public-health.controller';
import { AuditModule } from './audit/audit.module';
import { CompaniesModule } from './companies/companies.module';
import { IdentityModule } from './identity/identity.module';
import { RetellModule } from './retell/retell.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { PlatformHealthModule } from './platform-health/platform-health.module';
import { OnboardingModule } from './onboarding/onboarding.module';
import { StripeWebhookModule } from './webhooks/stripe/stripe-webhook.module';
import { CalcomWebhookModule } from './webhooks/calcom/calcom-webhook.module';
import { TwilioWebhooksModule } from './webhooks/twilio/twilio-webhooks.module';
import { CallsModule } from './calls/calls.module';
import { PortalModule } from './portal/portal.module';
import { TeamModule } from './team/team.module';
import { BillingModule } from './billing/billing.module';
import { CallbackRequestsModule } from './callback-requests/callback-requests.module';
import { CallbackSubscriptionsModule } from './callback-subscriptions/callback-subscriptions.module';
import { CalendarModule } from './calendars/calendar.module';
import { ConsoleModule } from './console/console.module';
import { LiveEventsModule } from './live/live-events.module';
import { AppointmentsModule } from './appointments/appointments.module';
import { CustomersModule } from './customers/customers.module';
import { PrivacyModule } from './privacy/privacy.module';
import { SetupModule } from './setup/setup.module';

/** Public edge: Retell, Cal.com, Stripe and Twilio webhooks, admin and portal API; forwards over Kafka. */
@Module({})
export class AppModule {
  static forRoot(ctx: ServiceContext<ServiceEnv & GatewayEnv>): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // The gateway's port is public: its metrics are served on METRICS_PORT only.
        ServiceRuntimeModule.forRoot({ ...ctx, entities: gatewayEntities, migrations, requestClient: true, metricsOnServicePort: false }),
        AuditModule,
        CompaniesModule,
        IdentityModule,
        RetellModule, // after identity, before the limiter: sets the company the voice limit counts by
        RateLimitModule, // after the auth modules: its guard reads request.principal
        PlatformHealthModule,
        OnboardingModule,
        StripeWebhookModule,
        CalcomWebhookModule,
        TwilioWebhooksModule,
        CallsModule,
        PortalModule,
        TeamModule,
        BillingModule,
        CallbackRequestsModule,
        CallbackSubscriptionsModule,
        CalendarModule,
        ConsoleModule,
        LiveEventsModule,
        AppointmentsModule,
        CustomersModule,
        PrivacyModule,
        SetupModule,
      ],
      controllers: [PublicHealthController],
    };
  }
}
