import { bootstrapService } from '@receptionist/service-runtime';
import { AppModule } from './app.module';
import { billingEnvSchema } from './config';

void bootstrapService('billing', (ctx) => AppModule.forRoot(ctx), billingEnvSchema);
