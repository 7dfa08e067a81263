import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { z } from 'zod';
import { ConfigError, assertProductionReady, loadConfigOrExit, serviceEnvSchema, ServiceEnv } from '@receptionist/config';
import { createLogger, httpRequestDuration, initMetrics, currentTraceId } from '@receptionist/observability';
import type { Logger } from 'pino';
import { PinoNestLogger } from './nest-logger';

export interface ServiceContext<C extends ServiceEnv> {
  service: string;
  config: C;
  logger: Logger;
}

export interface BootstrapOptions<C extends ServiceEnv> {
  /** Called once the Nest app is created and before it listens (plugins, parsers, global filters). */
  configure?: (app: NestFastifyApplication, ctx: ServiceContext<C>) => Promise<void>;
  /** The service takes traffic through an ingress/proxy: production then requires TRUST_PROXY. */
  behindIngress?: boolean;
}

/**
 * Starts one service: validates its environment (exits 1 naming the bad variables), builds the Nest app on
 * Fastify with the raw body kept for signature checks, records HTTP metrics, and shuts down gracefully on
 * SIGTERM/SIGINT within SHUTDOWN_TIMEOUT_MS.
 */
export async function bootstrapService<S extends z.ZodObject<z.ZodRawShape>>(
  service: string,
  createModule: (ctx: ServiceContext<ServiceEnv & z.infer<S>>) => unknown,
  extraSchema?: S,
  options: BootstrapOptions<ServiceEnv & z.infer<S>> = {},
): Promise<NestFastifyApplication> {
  const schema = extraSchema ? serviceEnvSchema.extend(extraSchema.shape) : serviceEnvSchema;
  const config = loadConfigOrExit(schema) as ServiceEnv & z.infer<S>;
  refuseUnsafeProduction(config, Object.keys(schema.shape), options.behindIngress);
  const logger = createLogger(service);
  initMetrics(service);

  const trustProxy = config.TRUST_PROXY === undefined ? false : /^\d+$/.test(config.TRUST_PROXY) ? Number(config.TRUST_PROXY) : config.TRUST_PROXY;
  const adapter = new FastifyAdapter({ bodyLimit: 1024 * 1024, trustProxy, return503OnClosing: true });
  const fastify = adapter.getInstance();
  fastify.addHook('onResponse', async (request, reply) => {
    httpRequestDuration().observe(
      { method: request.method, route: request.routeOptions?.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  fastify.addHook('onSend', async (_request, reply, payload) => {
    const traceId = currentTraceId();
    if (traceId) reply.header('x-trace-id', traceId);
    return payload;
  });

  const module = createModule({ service, config, logger });
  const app = await NestFactory.create<NestFastifyApplication>(module as never, adapter, {
    rawBody: true,
    logger: new PinoNestLogger(logger.child({ component: 'nest' })),
    abortOnError: false,
  });
  // Not app.enableShutdownHooks(): Nest re-raises the signal after closing, and the exit code must be 0.

  let shuttingDown = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      if (shuttingDown) return;
      shuttingDown = true;
      logger.info({ signal }, 'shutting down');
      const force = setTimeout(() => {
        logger.error('shutdown took too long; exiting');
        process.exit(1);
      }, config.SHUTDOWN_TIMEOUT_MS);
      force.unref();
      app
        .close()
        .then(() => {
          logger.info('stopped cleanly');
          logger.flush?.();
          process.exit(0);
        })
        .catch((error) => {
          logger.error({ err: error }, 'error during shutdown');
          process.exit(1);
        });
    });
  }
  if (options.configure) await options.configure(app, { service, config, logger });
  await app.listen({ port: config.PORT, host: process.env.HOST ?? '0.0.0.0' });
  logger.info({ port: config.PORT }, `${service} listening`);
  return app;
}

/** APP_ENV=production with simulator URLs, missing secrets or public URLs: exit 1 naming each variable. */
function refuseUnsafeProduction(config: Record<string, unknown>, variables: string[], behindIngress = false): void {
  try {
    assertProductionReady(config, variables, { behindIngress });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`APP_ENV=production refused. ${error.message}\n`);
    process.exit(1);
  }
}
