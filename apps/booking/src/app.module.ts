import { DynamicModule, Module } from '@nestjs/common';
import { ServiceContext, ServiceRuntimeModule } from '@receptionist/service-runtime';
import type { ServiceEnv } from '@receptionist/config';
import { CalcomModule } from './calcom';
import { migrations } from './migrations';

/** Owns customers, services, staff and appointments; talks to Cal.com. */
@Module({})
export class AppModule {
  static forRoot(ctx: ServiceContext<ServiceEnv>): DynamicModule {
    return {
      module: AppModule,
      imports: [ServiceRuntimeModule.forRoot({ ...ctx, migrations }), CalcomModule],
    };
  }
}
