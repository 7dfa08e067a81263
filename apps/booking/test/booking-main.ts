/** booking as main.ts starts it, under the service name the test gives (its own consumer groups); for kill tests. */
import { bootstrapService } from '@receptionist/service-runtime';
import { AppModule } from '../src/app.module';
import { bookingEnvSchema } from '../src/config';

void bootstrapService(process.env.BOOKING_TEST_SERVICE ?? 'booking-test', (ctx) => AppModule.forRoot(ctx), bookingEnvSchema);
