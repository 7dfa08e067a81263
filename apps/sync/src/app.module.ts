import { DynamicModule, Module } from '@nestjs/common';
import { ServiceContext, ServiceRuntimeModule } from '@receptionist/service-runtime';
import type { ServiceEnv } from '@receptionist/config';
import { CallbacksModule } from './callbacks/callbacks.module';
import { migrations } from './migrations';

/**
 * Delivers companies' callback webhooks (callbacks/) and reconciles companies' calendars with booking's appointments
 * (reconciliation/: cursors, runs, findings; booking does the calendar reads and repairs).
 */
@Module({})
export class AppModule {
  static forRoot(ctx: ServiceContext<ServiceEnv>): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceRuntimeModule.forRoot({ ...ctx, migrations, requestClient: true }),
        CallbacksModule,
      ],
    };
  }
}
