import { bootstrapService } from '@receptionist/service-runtime';
import { AppModule } from './app.module';
import { voice_agentEnvSchema } from './config';

void bootstrapService('voice-agent', (ctx) => AppModule.forRoot(ctx), voice_agentEnvSchema);
