/** billing as main.ts starts it, under the service name the test gives (its own consumer groups); for kill tests. */
import { bootstrapService } from '@receptionist/service-runtime';
import { AppModule } from '../src/app.module';
import { billingEnvSchema } from '../src/config';

void bootstrapService(process.env.BILLING_TEST_SERVICE ?? 'billing-test', (ctx) => AppModule.forRoot(ctx), billingEnvSchema);
