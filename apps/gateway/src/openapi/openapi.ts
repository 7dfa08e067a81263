import type { INestApplication } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { DiscoveryService } from '@nestjs/core';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodBody } from '../common/zod-body';
import { HEADER_PARAMETERS, HeaderParameter, QUERY_SCHEMA } from './describe';

/** Portal routes a customer calls without a portal token. */
const PORTAL_PUBLIC = new Set(['/api/portal/register', '/api/portal/login']);
/** Admin-API routes called without a token: sign-in and what a team member does with a one-time link. */
const V1_PUBLIC = new Set(['/api/v1/auth/login', '/api/v1/auth/password-reset', '/api/v1/auth/password-reset/confirm', '/api/v1/team/invitations/accept']);

/** An RFC 9457 problem as the gateway's exception filter writes it (hardening/exception.filter.ts). */
const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', description: 'about:blank' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      description: 'One entry per invalid field',
      items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
    statusCode: { type: 'integer', description: 'The same as status (kept for existing clients)' },
    error: { type: 'string', description: 'The same as title' },
    message: { type: 'string', description: 'The same as detail; names the field first (`start: …`)' },
    field: { type: 'string', description: 'The invalid fields, comma-separated' },
    traceId: { type: 'string' },
  },
};

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

/** Operation id → what its handler's metadata says about body, query and headers. */
function describedInputs(app: INestApplication) {
  const bodies = new Map<string, z.ZodType>();
  const queries = new Map<string, z.ZodType>();
  const headers = new Map<string, HeaderParameter[]>();
  for (const wrapper of app.get(DiscoveryService).getControllers()) {
    const ctor = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
    if (!ctor) continue;
    for (const method of Object.getOwnPropertyNames(ctor.prototype)) {
      const id = `${ctor.name}_${method}`;
      const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, ctor, method) as Record<string, { pipes?: unknown[] }> | undefined;
      for (const arg of Object.values(args ?? {})) {
        const pipe = arg.pipes?.find((p): p is ZodBody<z.ZodType> => p instanceof ZodBody);
        if (pipe) bodies.set(id, pipe.schema);
      }
      const handler = Object.getOwnPropertyDescriptor(ctor.prototype, method)?.value as unknown;
      if (typeof handler !== 'function') continue;
      const query = Reflect.getMetadata(QUERY_SCHEMA, handler) as z.ZodType | undefined;
      if (query) queries.set(id, query);
      const described = Reflect.getMetadata(HEADER_PARAMETERS, handler) as HeaderParameter[] | undefined;
      if (described) headers.set(id, described);
    }
  }
  return { bodies, queries, headers };
}

/** A query schema's fields as OpenAPI query parameters (JSON Schema 2020-12, as OpenAPI 3.1 reads it). */
function queryParameters(schema: z.ZodType) {
  const json = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({ name, in: 'query', required: (json.required ?? []).includes(name), schema: property }));
}

type Operation = { operationId?: string; requestBody?: unknown; security?: unknown; parameters?: object[]; responses?: Record<string, object> };

/**
 * The OpenAPI 3.1 document of the admin and portal API, generated from the code: paths and methods from Nest's
 * routes (@nestjs/swagger), request bodies from the zod schemas the routes validate with (`ZodBody`), query
 * parameters and headers from `@DescribeQuery`/`@DescribeHeaders`, errors as RFC 9457 problems, so the
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
  const { bodies, queries, headers } = describedInputs(app);
  document.openapi = '3.1.0';
  document.components = { ...document.components, schemas: { ...document.components?.schemas, Problem: PROBLEM_SCHEMA as never } };

  for (const [path, item] of Object.entries(document.paths)) {
    for (const operation of Object.values(item) as Operation[]) {
      if (!operation?.operationId) continue;
      const schema = bodies.get(operation.operationId);
      if (schema) {
        operation.requestBody = {
          required: true,
          content: { 'application/json': { schema: z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) } },
        };
      }
      const query = queries.get(operation.operationId);
      const described = headers.get(operation.operationId) ?? [];
      operation.parameters = [
        ...(operation.parameters ?? []).filter((p) => (p as { in?: string }).in !== 'query'),
        ...(query ? queryParameters(query) : []),
        ...described.map((h) => ({ name: h.name, in: 'header', required: h.required, description: h.description, schema: { type: 'string' } })),
      ];
      if (path.startsWith('/api/v1/') && !V1_PUBLIC.has(path)) operation.security = [{ bearer: [] }];
      if (path.startsWith('/api/portal/') && !PORTAL_PUBLIC.has(path)) operation.security = [{ portal: [] }];
      operation.responses = {
        ...operation.responses,
        ...(schema || query || described.length ? { '400': problem('Invalid input: one entry per invalid field') } : {}),
        ...(operation.security ? { '401': problem('No valid token'), '403': problem('The token lacks the ability') } : {}),
        ...(path.includes('{') ? { '404': problem("Unknown, or another company's, record") } : {}),
        ...(described.some((h) => h.name === 'If-Match')
          ? { '409': problem('If-Match names an older version (read it again), or the change would strand appointments'), '428': problem('If-Match is missing') }
          : {}),
        '429': problem('Rate limit reached (Retry-After)'),
        default: problem('Any other error'),
      };
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
