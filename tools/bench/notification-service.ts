/**
 * The notification service under its own name (BENCH_SERVICE_NAME), so the benchmark's consumer group is its own
 * and neither replays the topics' history nor takes partitions from a local platform's `notification` group.
 */
import { bootstrapService } from '@receptionist/service-runtime';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { AppModule } from '../../apps/notification/src/app.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { notificationEnvSchema } from '../../apps/notification/src/config';

void bootstrapService(process.env.BENCH_SERVICE_NAME ?? 'notification-bench', (ctx) => AppModule.forRoot(ctx), notificationEnvSchema);
