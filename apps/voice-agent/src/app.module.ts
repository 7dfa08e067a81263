import { DynamicModule, Module } from '@nestjs/common';
import { ServiceContext, ServiceRuntimeModule } from '@receptionist/service-runtime';
import type { ServiceEnv } from '@receptionist/config';
import { voiceAgentEntities } from './entities';
import { CallsModule } from './calls/calls.module';
import { VoiceFunctionsModule } from './functions/voice-functions.module';
import { migrations } from './migrations';

/** Owns calls: conversation state, call records, transcripts, recordings. */
@Module({})
export class AppModule {
  static forRoot(ctx: ServiceContext<ServiceEnv>): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceRuntimeModule.forRoot({ ...ctx, migrations, entities: voiceAgentEntities, requestClient: true }),
        VoiceFunctionsModule,
        CallsModule,
      ],
    };
  }
}
