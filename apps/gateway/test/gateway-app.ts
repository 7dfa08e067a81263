import { randomBytes } from 'node:crypto';
import type { DynamicModule, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootstrapService } from '@receptionist/service-runtime';
import { createTestDatabase, freePort, testServiceEnv } from '@receptionist/testing';

export { freePort } from '@receptionist/testing';
import { AppModule } from '../src/app.module';
import { gatewayEnvSchema } from '../src/config';
import { serveOpenApi } from '../src/openapi/openapi';
import { applyHardening } from '../src/hardening';
import { migrations } from '../src/migrations';

export interface TestGateway {
  app: NestFastifyApplication;
  url: string;
  /** Where this instance serves Prometheus metrics (METRICS_PORT), apart from its public port. */
  metricsUrl: string;
  database: string;
  /** JSON request against this instance; `token` becomes `Authorization: Bearer <token>`. */
  call: (
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ) => Promise<{ status: number; body: any; headers: Headers }>;
  close: () => Promise<void>;
}

export interface StartGatewayOptions {
  /** Share one database between instances; without it a throwaway one is created and dropped on close. */
  database?: string;
  /** Extra (test) controllers mounted next to the gateway's own. */
  controllers?: Type[];
  /**
   * Service name (and so consumer group) of this instance; default `gateway`. A test that needs the gateway's own
   * event handlers to see its messages gives it a name of its own (and starts its group at the topics' end).
   */
  service?: string;
  /** Runs after the gateway's own hardening, before listen (e.g. test hooks on the Fastify instance). */
  configure?: (app: NestFastifyApplication) => Promise<void>;
  /** Listen on this port (e.g. one chosen beforehand so APP_URL can name it); default a free one. */
  port?: number;
}

/** A throwaway gateway database with the gateway's migrations; share it between instances. */
export async function createGatewayDatabase(): Promise<{ database: string; drop: () => Promise<void> }> {
  const db = await createTestDatabase('gateway', { entities: [], migrations });
  await db.dataSource.destroy();
  return { database: db.database, drop: db.drop };
}

/**
 * Boots the gateway as main.ts does (bootstrapService, Fastify, hardening) on a free port of 127.0.0.1, against
 * the real MariaDB, Redis and Kafka. `extraEnv` overrides the environment for this instance only.
 */
export async function startGateway(extraEnv: Record<string, string> = {}, options: StartGatewayOptions = {}): Promise<TestGateway> {
  const own = options.database ? undefined : await createGatewayDatabase();
  const database = options.database ?? own!.database;
  const port = options.port ?? (await freePort());
  const metricsPort = await freePort();
  const env: Record<string, string> = {
    ...testServiceEnv(database, port),
    METRICS_PORT: String(metricsPort),
    // Each test gateway counts in its own keyspace, and the sensitive limit is out of the way of suites that
    // sign in and create tokens often; the rate-limit suite sets its own limits.
    RATE_LIMIT_KEY_PREFIX: `rl-test-${database}:`,
    RATE_LIMIT_SENSITIVE: '1000',
    ...extraEnv,
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  let app: NestFastifyApplication;
  try {
    app = await bootstrapService(
      options.service ?? 'gateway',
      (ctx): DynamicModule => ({ module: class TestGatewayModule {}, imports: [AppModule.forRoot(ctx)], controllers: options.controllers ?? [] }),
      gatewayEnvSchema,
      {
        configure: async (a, { config, logger }) => {
          await applyHardening(a, { corsOrigins: config.CORS_ORIGINS, logger });
          serveOpenApi(a);
          await options.configure?.(a);
        },
      },
    );
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    url,
    metricsUrl: `http://127.0.0.1:${env.METRICS_PORT}`,
    database,
    call: async (method, path, { token, body, headers = {} } = {}) => {
      const res = await fetch(url + path, {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON (e.g. /metrics)
      }
      return { status: res.status, body: parsed as any, headers: res.headers };
    },
    close: async () => {
      await app.close();
      await own?.drop();
    },
  };
}

export interface TestTenant {
  companyId: string;
  /** Bearer tokens of the company's admin and of one staff member. */
  admin: string;
  staff: string;
}

/** A company created by the platform admin, with a company admin and a staff member signed in. */
export async function createTestTenant(gw: TestGateway, platformToken: string, name: string): Promise<TestTenant> {
  const company = await gw.call('POST', '/api/v1/companies', { token: platformToken, body: { name, timeZone: 'Europe/Berlin' } });
  expect(company.status).toBe(201);
  const companyId = company.body.id as string;
  const tokens: string[] = [];
  const tag = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  for (const role of ['company_admin', 'company_staff']) {
    const email = `${role}@${tag}-${randomBytes(3).toString('hex')}.test`;
    const password = `${name} password ${role}`;
    const user = await gw.call('POST', `/api/v1/companies/${companyId}/users`, { token: platformToken, body: { email, name: `${name} ${role}`, password, role } });
    expect(user.status).toBe(201);
    tokens.push((await gw.call('POST', '/api/v1/auth/login', { body: { email, password } })).body.token);
  }
  return { companyId, admin: tokens[0], staff: tokens[1] };
}
