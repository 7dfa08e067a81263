import { ConfigError } from '@receptionist/config';
import { bootstrapService } from '@receptionist/service-runtime';
import { AppModule } from './app.module';
import { voice_agentEnvSchema } from './config';

bootstrapService('voice-agent', (ctx) => AppModule.forRoot(ctx), voice_agentEnvSchema).catch((error) => {
  // Rules across variables (checkAudioStorageConfig) are checked while the app is built: name them and stop.
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
});
