import { bootstrapService } from '@receptionist/service-runtime';
import { AppModule } from './app.module';
import { bookingEnvSchema } from './config';

void bootstrapService('booking', (ctx) => AppModule.forRoot(ctx), bookingEnvSchema);
