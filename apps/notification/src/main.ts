import { bootstrapService } from '@receptionist/service-runtime';
import { AppModule } from './app.module';
import { notificationEnvSchema } from './config';

void bootstrapService('notification', (ctx) => AppModule.forRoot(ctx), notificationEnvSchema);
