import type { INestApplication } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { DiscoveryService } from '@nestjs/core';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodBody } from '../common/zod-body';

/** Portal routes a customer calls without a portal token. */
const PORTAL_PUBLIC = new Set(['/api/portal/register', '/api/portal/login']);

/**
 * The OpenAPI document of the admin and portal API, generated from the code: paths and methods from Nest's
 * routes (@nestjs/swagger), request bodies from the zod schemas the routes validate with (`ZodBody`), so the
 * description cannot drift from what is enforced.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('AI receptionist platform: admin and portal API')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Personal access token rcp_<id>.<secret>' })
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Portal token rpt_<id>.<secret> (POST /api/portal/login)' }, 'portal')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey}_${methodKey}`,
  });

  const bodies = new Map<string, z.ZodType>();
  for (const wrapper of app.get(DiscoveryService).getControllers()) {
    const ctor = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
    if (!ctor) continue;
    for (const method of Object.getOwnPropertyNames(ctor.prototype)) {
      const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, ctor, method) as Record<string, { pipes?: unknown[] }> | undefined;
      for (const arg of Object.values(args ?? {})) {
        const pipe = arg.pipes?.find((p): p is ZodBody<z.ZodType> => p instanceof ZodBody);
        if (pipe) bodies.set(`${ctor.name}_${method}`, pipe.schema);
      }
    }
  }

  for (const [path, item] of Object.entries(document.paths)) {
    for (const operation of Object.values(item) as { operationId?: string; requestBody?: unknown; security?: unknown }[]) {
      if (!operation?.operationId) continue;
      const schema = bodies.get(operation.operationId);
      if (schema) {
        operation.requestBody = {
          required: true,
          content: { 'application/json': { schema: z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) } },
        };
      }
      if (path.startsWith('/api/v1/') && !path.startsWith('/api/v1/auth/login')) operation.security = [{ bearer: [] }];
      if (path.startsWith('/api/portal/') && !PORTAL_PUBLIC.has(path)) operation.security = [{ portal: [] }];
    }
  }
  // Only the public API is described; service internals (health, metrics) are for operators.
  document.paths = Object.fromEntries(Object.entries(document.paths).filter(([p]) => p.startsWith('/api/v1/') || p.startsWith('/api/portal/')));
  return document;
}

/** Serves the document at GET /api/openapi.json (public: it describes the API, it grants nothing). */
export function serveOpenApi(app: INestApplication & { getHttpAdapter(): { getInstance(): { get: Function } } }): void {
  const document = buildOpenApiDocument(app);
  app.getHttpAdapter().getInstance().get('/api/openapi.json', async () => document);
}
