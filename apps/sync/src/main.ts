import { bootstrapService } from '@receptionist/service-runtime';
import { AppModule } from './app.module';
import { syncEnvSchema } from './config';

void bootstrapService('sync', (ctx) => AppModule.forRoot(ctx), syncEnvSchema);
