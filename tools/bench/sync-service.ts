/**
 * The sync service under its own name (BENCH_SERVICE_NAME), so the benchmark's consumer groups are its own and
 * neither replay the topics' history nor take partitions from a local platform's `sync` group.
 */
import { bootstrapService } from '@receptionist/service-runtime';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { AppModule } from '../../apps/sync/src/app.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { syncEnvSchema } from '../../apps/sync/src/config';

void bootstrapService(process.env.BENCH_SERVICE_NAME ?? 'sync-bench', (ctx) => AppModule.forRoot(ctx), syncEnvSchema);
