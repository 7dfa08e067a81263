import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { startGateway, TestGateway } from './gateway-app';

/** Every route the gateway registered under the public API, as OpenAPI paths (`{param}`). */
function registeredRoutes(gw: TestGateway): string[] {
  const discovery = gw.app.get(DiscoveryService, { strict: false });
  const scanner = new MetadataScanner();
  const routes: string[] = [];
  for (const wrapper of discovery.getControllers()) {
    const proto = wrapper.metatype?.prototype;
    if (!proto) continue;
    const base = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, wrapper.metatype!) ?? '')[0];
    for (const name of scanner.getAllMethodNames(proto)) {
      const sub = Reflect.getMetadata(PATH_METADATA, proto[name]);
      const method = Reflect.getMetadata(METHOD_METADATA, proto[name]);
      if (sub === undefined || method === undefined) continue;
      const path = `/${[base, ([] as string[]).concat(sub)[0]].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/').replace(/:(\w+)/g, '{$1}');
      if (path.startsWith('/api/v1/') || path.startsWith('/api/portal/')) routes.push(`${RequestMethod[method as number].toLowerCase()} ${path}`);
    }
  }
  return routes;
}

jest.setTimeout(90000);

describe('OpenAPI document', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('is generated from the routes and their validation schemas', async () => {
    const res = await gw.call('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/auth/login', '/api/v1/tokens', '/api/v1/companies']));
    expect(Object.keys(doc.paths).every((p: string) => p.startsWith('/api/v1/') || p.startsWith('/api/portal/'))).toBe(true);
    const login = doc.paths['/api/v1/auth/login'].post;
    const schema = login.requestBody.content['application/json'].schema;
    expect(schema.properties).toHaveProperty('email');
    expect(schema.properties).toHaveProperty('password');
    expect(login.security).toBeUndefined();
    expect(doc.paths['/api/v1/tokens'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.components.securitySchemes.bearer.scheme).toBe('bearer');
    // the customer portal: its own token scheme; registration and sign-in need none
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/portal/register', '/api/portal/login', '/api/portal/appointments', '/api/portal/appointments/{appointmentId}/reschedule', '/api/v1/companies/{companyId}/portal-invitations']),
    );
    expect(doc.components.securitySchemes.portal.scheme).toBe('bearer');
    expect(doc.paths['/api/portal/login'].post.security).toBeUndefined();
    expect(doc.paths['/api/portal/register'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('token');
    expect(doc.paths['/api/portal/appointments'].get.security).toEqual([{ portal: [] }]);
    expect(doc.paths['/api/portal/appointments/{appointmentId}/reschedule'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('start');
    expect(doc.paths['/api/v1/companies/{companyId}/portal-invitations'].post.security).toEqual([{ bearer: [] }]);
  });

  it('is a valid OpenAPI 3.1 document (Redocly) describing every registered route, with query, header and problem responses', async () => {
    const doc = (await gw.call('GET', '/api/openapi.json')).body;
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: 'openapi.json', config: await createConfig({ rules: { struct: 'error', 'no-unresolved-refs': 'error', 'path-parameters-defined': 'error', 'operation-operationId-unique': 'error' } }) });
    expect(problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`)).toEqual([]);

    const described = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item as object).map((method) => `${method} ${path}`));
    const routes = registeredRoutes(gw);
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.filter((r) => !described.includes(r))).toEqual([]);

    const list = doc.paths['/api/v1/companies/{companyId}/appointments'].get;
    expect(list.parameters.filter((p: { in: string }) => p.in === 'query').map((p: { name: string }) => p.name)).toEqual(['from', 'to', 'staffId', 'serviceId', 'customerId', 'status', 'source', 'limit', 'cursor']);
    expect(list.parameters.find((p: { in: string }) => p.in === 'path')).toMatchObject({ name: 'companyId', required: true });
    const create = doc.paths['/api/v1/companies/{companyId}/appointments'].post;
    expect(create.parameters.find((p: { in: string }) => p.in === 'header')).toMatchObject({ name: 'Idempotency-Key', required: true });
    expect(create.responses['400'].content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    expect(doc.components.schemas.Problem.properties.errors.items.required).toEqual(['field', 'message']);
    expect(doc.paths['/api/v1/companies/{companyId}/customers'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['companyId', 'q', 'limit', 'cursor']);
  });
});
