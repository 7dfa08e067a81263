import { startGateway, TestGateway } from './gateway-app';

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
    expect(doc.openapi).toMatch(/^3\./);
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
});
