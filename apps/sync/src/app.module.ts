import { DynamicModule, Module } from '@nestjs/common';
import { ServiceContext, ServiceRuntimeModule } from '@receptionist/service-runtime';
import type { ServiceEnv } from '@receptionist/config';
import { migrations } from './migrations';

/** Owns external-id mappings and sync cursors; keeps Cal.com and Samedi in step, delivers callback webhooks. */
@Module({})
export class AppModule {
  static forRoot(ctx: ServiceContext<ServiceEnv>): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceRuntimeModule.forRoot({ ...ctx, migrations }),
      ],
    };
  }
}
