import { bootstrapService } from '@receptionist/service-runtime';
import { AppModule } from './app.module';
import { gatewayEnvSchema } from './config';
import { applyHardening } from './hardening';
import { serveOpenApi } from './openapi/openapi';

void bootstrapService('gateway', (ctx) => AppModule.forRoot(ctx), gatewayEnvSchema, {
  behindIngress: true,
  configure: async (app, { config, logger }) => {
    await applyHardening(app, { corsOrigins: config.CORS_ORIGINS, logger });
    serveOpenApi(app);
  },
});
