/**
 * The gateway as main.ts starts it (its own logger on stdout), plus one route whose handler runs a failing query
 * carrying customer data, so a test can read the process's real log output. Service name from the test (its own
 * consumer groups).
 */
import { Controller, Get } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { bootstrapService, Public } from '@receptionist/service-runtime';
import { AppModule } from '../src/app.module';
import { gatewayEnvSchema } from '../src/config';
import { applyHardening } from '../src/hardening';

@Public()
@Controller('api/v1/log-test')
class FailingQueryController {
  constructor(private readonly dataSource: DataSource) {}

  /** Registers the same customer twice: the second INSERT fails (duplicate e-mail) with the customer's data in it. */
  @Get('failing-query')
  async failingQuery() {
    const insert = () =>
      this.dataSource.query(
        'INSERT INTO app_user (id, company_id, email, name, password_hash, role, created_at, updated_at) VALUES (?, NULL, ?, ?, ?, ?, NOW(3), NOW(3))',
        [randomUUID(), process.env.LOG_TEST_EMAIL, process.env.LOG_TEST_NAME, 'x', 'platform_admin'],
      );
    await insert();
    await insert();
  }
}

void bootstrapService(
  process.env.GATEWAY_TEST_SERVICE ?? 'gateway-test',
  (ctx) => ({ module: class GatewayLogTestModule {}, imports: [AppModule.forRoot(ctx)], controllers: [FailingQueryController] }),
  gatewayEnvSchema,
  { configure: async (app, { config, logger }) => applyHardening(app, { corsOrigins: config.CORS_ORIGINS, logger }) },
);
