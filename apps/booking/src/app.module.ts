import { DynamicModule, Module } from '@nestjs/common';
import { ServiceContext, ServiceRuntimeModule } from '@receptionist/service-runtime';
import type { ServiceEnv } from '@receptionist/config';
import { CalcomModule } from './calcom';
import { BookingCommonModule } from './common/common.module';
import { CatalogueModule } from './catalogue/catalogue.module';
import { CalendarsModule } from './calendars/calendars.module';
import { bookingEntities } from './entities';
import { migrations } from './migrations';
import { RequestsModule } from './requests/requests.module';
import { BookingPrivacyModule } from './privacy/privacy.handler';

/** Owns customers, services, staff and appointments; talks to Cal.com. */
@Module({})
export class AppModule {
  static forRoot(ctx: ServiceContext<ServiceEnv>): DynamicModule {
    return {
      module: AppModule,
      imports: [ServiceRuntimeModule.forRoot({ ...ctx, entities: bookingEntities, migrations }), BookingCommonModule, CalcomModule, CatalogueModule, RequestsModule, CalendarsModule, BookingPrivacyModule],
    };
  }
}
