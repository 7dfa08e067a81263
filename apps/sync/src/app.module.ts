import { DynamicModule, Module } from '@nestjs/common';
import { ServiceContext, ServiceRuntimeModule } from '@receptionist/service-runtime';
import type { ServiceEnv } from '@receptionist/config';
import { CallbacksModule } from './callbacks/callbacks.module';
import { migrations } from './migrations';

/**
 * Delivers companies' callback webhooks (callbacks/). Meant to also own the external-id mappings and sync cursors
 * that keep Cal.com and Samedi in step; that part is not built yet.
 */
@Module({})
export class AppModule {
  static forRoot(ctx: ServiceContext<ServiceEnv>): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceRuntimeModule.forRoot({ ...ctx, migrations }),
        CallbacksModule,
      ],
    };
  }
}
