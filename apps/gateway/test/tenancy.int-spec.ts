import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { waitFor } from '@receptionist/testing';
import { startGateway, TestGateway } from './gateway-app';
import { signRetell } from '../src/retell/retell-signature';
// The call records behind /calls live in voice-agent: the real one answers, scoped by company.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startVoiceAgent, TestVoiceAgent } from '../../voice-agent/test/voice-agent-app';
import { CompaniesRepository } from '../src/companies/companies.repository';
import { SEED_ROLE_PERMISSIONS } from '../src/auth/permissions';
import { REQUIRED_ABILITIES_KEY } from '../src/auth/principal';
// Accounts, ledger and invoices behind /billing live in billing: the real one answers, scoped by company.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBilling, TestBilling, TestPublisher } from '../../billing/test/billing-app';
// Callback requests behind /callback-requests live in booking: the real one answers, scoped by company.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { BookingRequester, startBooking, startBookingRequester, TestBooking } from '../../booking/test/booking-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { berlinAt, sendSetup, setupDoc, startProducer, wednesdayAhead } from '../../booking/test/fixtures';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startSync, TestSync } from '../../sync/test/sync-app';
// A customer's export asks notification too.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startNotification, TestNotification } from '../../notification/test/notification-app';
import { calcomSimulator, CalcomState, ratesSimulator, RatesState, startSimulator, RunningSimulator, stripeSimulator, StripeState } from '@receptionist/simulators';

jest.setTimeout(120000);

const ADMIN = { email: 'root@tenancy.test', password: 'correct horse battery staple' };
const RETELL_KEY = 'key_tenancy_test';

interface Route {
  method: string;
  path: string;
  /** Abilities the route requires (`@RequireAbility`). */
  abilities: string[];
}

/** Every route the gateway registered, read from the controllers' metadata (so new routes are covered). */
function registeredRoutes(gw: TestGateway): Route[] {
  const discovery = gw.app.get(DiscoveryService, { strict: false });
  const scanner = new MetadataScanner();
  const routes: Route[] = [];
  for (const wrapper of discovery.getControllers()) {
    const proto = wrapper.metatype?.prototype;
    if (!proto) continue;
    const base = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, wrapper.metatype!) ?? '')[0];
    for (const name of scanner.getAllMethodNames(proto)) {
      const handler = proto[name];
      const sub = Reflect.getMetadata(PATH_METADATA, handler);
      const method = Reflect.getMetadata(METHOD_METADATA, handler);
      if (sub === undefined || method === undefined) continue;
      const path = `/${[base, ([] as string[]).concat(sub)[0]].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/');
      routes.push({ method: RequestMethod[method as number], path, abilities: Reflect.getMetadata(REQUIRED_ABILITIES_KEY, handler) ?? [] });
    }
  }
  return routes;
}

/** A valid body for each writing route, so a 404 cannot hide behind a 400. A new writing route must add one. */
const SAMPLE_BODIES: Record<string, unknown> = {
  'POST /api/v1/companies/:companyId/customers/:customerId/erasure': {},
  'PUT /api/v1/companies/:companyId/retention': { recordingsDays: 1, transcriptsDays: 1 },
  'PATCH /api/v1/companies/:companyId': { name: 'Taken over', settings: { evil: true } },
  'POST /api/v1/companies/:companyId/branches': { name: 'Intruder branch' },
  'PATCH /api/v1/companies/:companyId/branches/:branchId': { name: 'Renamed by B' },
  'POST /api/v1/companies/:companyId/phone-numbers': { number: '+4930999999' },
  'POST /api/v1/companies/:companyId/agents': { agentId: 'agent_intruder' },
  'POST /api/v1/companies/:companyId/users': { email: 'intruder@b.test', name: 'Intruder', password: 'intruder password 1', role: 'company_admin' },
  'PATCH /api/v1/companies/:companyId/users/:userId': { role: 'company_staff', name: 'Demoted by B' },
  'POST /api/v1/companies/:companyId/portal-invitations': { name: 'Invited by B', phone: '+4915199999999' },
  'POST /api/v1/companies/:companyId/billing/top-ups': { amount: 5000, currency: 'EUR' },
  'POST /api/v1/companies/:companyId/billing/invoices': { period: new Date().toISOString().slice(0, 7) },
  'PATCH /api/v1/companies/:companyId/billing/prices': { perMinuteMinor: 0 },
  'POST /api/v1/companies/:companyId/billing/invoices/:invoiceId/credit-notes': { amount: 1, reason: 'Refund taken by B' },
  'POST /api/v1/companies/:companyId/billing/subscription': { planCode: 'basic', currency: 'EUR' },
  'PATCH /api/v1/companies/:companyId/billing/subscription': { cancelAtPeriodEnd: true },
  'POST /api/v1/companies/:companyId/billing/portal-session': {},
  'PATCH /api/v1/companies/:companyId/callback-requests/:callbackRequestId': { status: 'closed', note: 'closed by B' },
  'PATCH /api/v1/callback-requests/:callbackRequestId': { status: 'closed', note: 'closed by B' },
  'PUT /api/v1/companies/:companyId/calendar/connection': { provider: 'calcom', apiKey: 'cal_intruder_key', teamSlug: null },
  'POST /api/v1/companies/:companyId/calendar/reconciliations': {},
  'POST /api/v1/companies/:companyId/callback-subscriptions': { url: 'http://127.0.0.1:9/hooks/intruder', events: ['booking.created'] },
  'POST /api/v1/companies/:companyId/callback-subscriptions/:subscriptionId/rotate-secret': {},
  'POST /api/v1/companies/:companyId/callback-subscriptions/:subscriptionId/test': {},
  'POST /api/v1/companies/:companyId/callback-subscriptions/:subscriptionId/deliveries/:deliveryId/retry': {},
  'POST /api/v1/companies/:companyId/calls/:callId/recording-link': {},
  'POST /api/v1/companies/:companyId/appointments': { serviceId: 'beratung', start: berlinAt(wednesdayAhead(), '16:00'), customer: { name: 'Booked by B', phone: '+4915199999999' } },
  'POST /api/v1/companies/:companyId/appointments/:appointmentId/cancel': { reason: 'cancelled by B' },
  'POST /api/v1/companies/:companyId/appointments/:appointmentId/move': { start: berlinAt(wednesdayAhead(), '16:30') },
  'POST /api/v1/companies/:companyId/appointments/:appointmentId/outcome': { outcome: 'no_show' },
  'PATCH /api/v1/companies/:companyId/customers/:customerId': { name: 'Renamed by B' },
  'POST /api/v1/companies/:companyId/customers/:customerId/merge': { duplicateId: '00000000-0000-4000-8000-000000000000' },
  'POST /api/v1/companies/:companyId/roles': { name: 'Role by B', abilities: ['calls.read'] },
  'PATCH /api/v1/companies/:companyId/roles/:roleId': { name: 'Renamed by B', abilities: ['billing.manage'] },
  'POST /api/v1/companies/:companyId/invitations': { name: 'Invited by B', email: 'intruder-invitee@b.test', role: 'company_admin' },
  'POST /api/v1/companies/:companyId/services': { key: 'intruder', name: 'Intruder', calcomEventTypeId: 9999, durationMinutes: 30 },
  'PUT /api/v1/companies/:companyId/services/:serviceKey': { name: 'Renamed by B', calcomEventTypeId: 1001, durationMinutes: 30 },
  'POST /api/v1/companies/:companyId/staff': { key: 'intruder', name: 'Intruder' },
  'PUT /api/v1/companies/:companyId/staff/:staffKey': { name: 'Renamed by B' },
  'PUT /api/v1/companies/:companyId/opening-hours': { weekly: {} },
  'PUT /api/v1/companies/:companyId/booking-policies': { minNoticeMinutes: 0 },
  'PUT /api/v1/companies/:companyId/agent-settings': { greeting: { de: 'Hier ist B' } },
  'PUT /api/v1/companies/:companyId/notification-settings': { channels: ['sms'] },
  'POST /api/v1/companies/:companyId/notification-settings/preview': { kind: 'confirmation', language: 'de' },
};

/** Reads that need a query parameter to answer 200. */
const REQUIRED_QUERIES: Record<string, string> = { '/api/v1/companies/:companyId/free-times': '?serviceId=beratung' };

describe('tenant isolation of the admin API', () => {
  let gw: TestGateway;
  let voice: TestVoiceAgent;
  let billing: TestBilling;
  let notification: TestNotification;
  let stripe: RunningSimulator<StripeState>;
  let rates: RunningSimulator<RatesState>;
  let calcom: RunningSimulator<CalcomState>;
  let publisher: TestPublisher;
  let booking: TestBooking;
  let bookingRequester: BookingRequester;
  let sync: TestSync;
  let platform: string;
  const tenants: Record<'A' | 'B', { companyId: string; token: string; tokenId: string; ids: Record<string, string> }> = {} as never;

  const call = (method: string, path: string, token: string, body?: unknown) => gw.call(method, path, { token, body });

  beforeAll(async () => {
    gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, RETELLAI_API_KEY: RETELL_KEY, RATE_LIMIT_GENERAL: '100000' /* the walk makes hundreds of requests per company */ });
    platform = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
    for (const [key, n] of [['A', '4930111111'], ['B', '4930222222']] as const) {
      const company = await call('POST', '/api/v1/companies', platform, { name: `Company ${key}`, timeZone: 'Europe/Berlin' });
      expect(company.status).toBe(201);
      const companyId = company.body.id as string;
      const base = `/api/v1/companies/${companyId}`;
      const branch = await call('POST', `${base}/branches`, platform, { name: `${key} main` });
      const phone = await call('POST', `${base}/phone-numbers`, platform, { number: `+${n}`, branchId: branch.body.id });
      const agent = await call('POST', `${base}/agents`, platform, { agentId: `agent_${key}_${companyId.slice(0, 8)}` });
      const email = `admin@${key.toLowerCase()}.test`;
      const user = await call('POST', `${base}/users`, platform, { email, name: `${key} admin`, password: `${key} admin password`, role: 'company_admin' });
      expect([branch.status, phone.status, agent.status, user.status]).toEqual([201, 201, 201, 201]);
      const login = await gw.call('POST', '/api/v1/auth/login', { body: { email, password: `${key} admin password` } });
      expect(login.status).toBe(200);
      // A registered portal customer and a pending invitation (the customer portal's admin records).
      const used = await call('POST', `${base}/portal-invitations`, login.body.token, { name: `${key} customer`, email: `customer@${key.toLowerCase()}.test` });
      const registered = await gw.call('POST', '/api/portal/register', { body: { token: used.body.token, password: `${key} customer password` } });
      const pending = await call('POST', `${base}/portal-invitations`, login.body.token, { name: `${key} invitee`, phone: key === 'A' ? '+4915111111111' : '+4915122222222' });
      expect([used.status, registered.status, pending.status]).toEqual([201, 201, 201]);
      // A custom role and a pending team invitation (team management).
      const role = await call('POST', `${base}/roles`, login.body.token, { name: `${key} reception`, abilities: ['calls.read', 'appointments.read'] });
      const teamInvitation = await call('POST', `${base}/invitations`, login.body.token, { name: `${key} colleague`, email: `colleague@${key.toLowerCase()}.test`, customRoleId: role.body.id });
      expect([role.status, teamInvitation.status]).toEqual([201, 201]);
      tenants[key] = {
        companyId,
        token: login.body.token,
        tokenId: login.body.tokenId,
        ids: { companyId, branchId: branch.body.id, phoneNumberId: phone.body.id, agentRecordId: agent.body.id, userId: user.body.id, tokenId: login.body.tokenId, invitationId: pending.body.id, portalCustomerId: registered.body.id, roleId: role.body.id, teamInvitationId: teamInvitation.body.id },
      };
    }
    // One call per company, recorded by the real voice-agent from signed Retell webhooks.
    voice = await startVoiceAgent({}, { companies: [tenants.A.companyId, tenants.B.companyId] });
    for (const key of ['A', 'B'] as const) {
      const callId = `call_${key}_${randomBytes(6).toString('hex')}`;
      const agentId = `agent_${key}_${tenants[key].companyId.slice(0, 8)}`;
      const start = Date.now() - 60_000;
      for (const event of ['call_started', 'call_ended']) {
        const raw = JSON.stringify({
          event,
          call: { call_id: callId, agent_id: agentId, call_type: 'phone_call', direction: 'inbound', from_number: '+491701234567', to_number: key === 'A' ? '+4930111111' : '+4930222222', call_status: event === 'call_ended' ? 'ended' : 'ongoing', start_timestamp: start, ...(event === 'call_ended' ? { end_timestamp: Date.now(), duration_ms: 60_000, disconnection_reason: 'user_hangup' } : {}) },
        });
        const res = await fetch(`${gw.url}/api/webhooks/retell`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-retell-signature': signRetell(raw, RETELL_KEY) }, body: raw });
        expect(res.status).toBe(204);
      }
      tenants[key].ids.callId = callId;
      const base = `/api/v1/companies/${tenants[key].companyId}/calls/${callId}`;
      await waitFor(async () => (await call('GET', base, tenants[key].token)).status === 200, { timeoutMs: 20000, message: `call record of ${key}` });
    }
    // Billing: each company's plan (as onboarding sends it), one debited call and this month's invoice.
    stripe = await startSimulator(stripeSimulator, { port: 0 });
    rates = await startSimulator(ratesSimulator, { port: 0 }); // GET …/billing/exchange-rates
    billing = await startBilling({ STRIPE_API_BASE: stripe.url, STRIPE_SECRET: 'sk_test_tenancy', EXCHANGE_RATES_URL: `${rates.url}/v1` }, { companies: [tenants.A.companyId, tenants.B.companyId] });
    notification = await startNotification({}, { companies: [tenants.A.companyId, tenants.B.companyId] });
    publisher = await new TestPublisher().start();
    for (const key of ['A', 'B'] as const) {
      const { companyId, token } = tenants[key];
      await publisher.billingSetup(companyId, { perMinuteMinor: 12 });
      const billingBase = `/api/v1/companies/${companyId}/billing`;
      await waitFor(async () => (await call('GET', `${billingBase}/prices`, token)).status === 200, { timeoutMs: 30000, intervalMs: 300, message: `prices of ${key}` });
      // voice-agent's own call.completed for this call may have arrived before the prices (kept unrated, rated
      // shortly); this one is the same call, so the call is debited once either way.
      await publisher.publish(publisher.callCompleted(companyId, tenants[key].ids.callId, 157));
      await waitFor(async () => ((await call('GET', `${billingBase}/ledger`, token)).body?.data ?? []).length === 1, { timeoutMs: 30000, intervalMs: 300, message: `debit of ${key}` });
      const invoice = await waitFor(async () => {
        const res = await call('POST', `${billingBase}/invoices`, token, { period: new Date().toISOString().slice(0, 7) });
        if (res.status === 409) return null; // usage not rated yet
        expect([res.status, res.body.message]).toEqual([200, undefined]);
        return res;
      }, { timeoutMs: 8000, intervalMs: 1000, message: `invoice of ${key}` });
      tenants[key].ids.invoiceId = invoice.body.invoiceId;
    }
    // One callback request per company, recorded by the real booking as voice-agent hands them over.
    // … and one appointment per company, booked in the Cal.com simulator (the self-service appointment routes).
    calcom = await startSimulator(calcomSimulator, { port: 0 });
    booking = await startBooking({ CALCOM_BASE_URL: calcom.url, CALCOM_API_KEY: 'cal_test_tenancy', CALCOM_TEAM_SLUG: 'demo-praxis' }, { companies: [tenants.A.companyId, tenants.B.companyId] });
    bookingRequester = await startBookingRequester();
    const producer = await startProducer();
    for (const key of ['A', 'B'] as const) {
      const companyId = tenants[key].companyId;
      const reply = await bookingRequester.ask({ operation: 'callback.request', companyId, callId: null, name: `${key} caller`, phone: '+491701234567', wish: 'Rückruf', reason: 'other' });
      expect(reply.ok).toBe(true);
      tenants[key].ids.callbackRequestId = String(reply.data!.callbackRequestId);
      await sendSetup(producer, setupDoc(companyId));
      await waitFor(async () => (await bookingRequester.ask({ operation: 'catalogue.get', companyId, callId: null })).ok, { timeoutMs: 30000, message: `booking set-up of ${key}` });
      const booked = await bookingRequester.ask({ operation: 'appointment.book', companyId, callId: null, serviceId: 'beratung', start: berlinAt(wednesdayAhead(), key === 'A' ? '09:00' : '10:00'), customer: { name: `${key} customer`, phone: '+491701234567', email: null, language: 'de' }, idempotencyKey: `tenancy-${companyId}` });
      expect(booked.ok).toBe(true);
      tenants[key].ids.appointmentId = String((booked.data!.appointment as { appointmentId: string }).appointmentId);
      tenants[key].ids.customerId = String((booked.data!.customer as { customerId: string }).customerId);
      // The set-up API's records (a company created without an import starts from an empty set-up); keys are
      // per company, so each company's own are distinct (the booked service stays offered).
      const setup = `/api/v1/companies/${companyId}`;
      const own = `only-${key.toLowerCase()}`;
      const made = [
        await call('POST', `${setup}/services`, tenants[key].token, { key: 'beratung', name: 'Beratung', aliases: ['Consultation'], calcomEventTypeId: 1001, durationMinutes: 30, priceMinor: 5000 }),
        await call('POST', `${setup}/services`, tenants[key].token, { key: own, name: `Only ${key}`, calcomEventTypeId: 1003, durationMinutes: 30 }),
        await call('POST', `${setup}/staff`, tenants[key].token, { key: own, name: `Staff ${key}`, services: ['beratung', own] }),
      ];
      expect(made.map((r) => r.status)).toEqual([201, 201, 201]);
      Object.assign(tenants[key].ids, { serviceKey: own, staffKey: own });
    }
    await producer.disconnect();
    // One callback subscription per company with one (test) delivery, kept by the real sync.
    sync = await startSync({ CALLBACK_ALLOW_PRIVATE_URLS: 'true', CALLBACK_MAX_ATTEMPTS: '1' });
    for (const key of ['A', 'B'] as const) {
      const base = `/api/v1/companies/${tenants[key].companyId}/callback-subscriptions`;
      const subscription = await call('POST', base, tenants[key].token, { url: `http://127.0.0.1:9/hooks/${key}`, events: ['booking.created'] });
      expect(subscription.status).toBe(201);
      const test = await call('POST', `${base}/${subscription.body.subscriptionId}/test`, tenants[key].token);
      expect(test.status).toBe(202);
      Object.assign(tenants[key].ids, { subscriptionId: subscription.body.subscriptionId, deliveryId: test.body.deliveryId });
    }
  });

  afterAll(async () => {
    await bookingRequester?.stop();
    await booking?.close();
    await calcom?.close();
    await sync?.close();
    await publisher?.stop();
    await billing?.close();
    await notification?.close();
    await stripe?.close();
    await rates?.close();
    await voice?.close();
    await gw?.close();
  });

  const fill = (path: string, ids: Record<string, string>) =>
    path.replace(/:(\w+)/g, (_m, name: string) => {
      if (!ids[name]) throw new Error(`no test record for path parameter :${name} in ${path}; add it to the tenancy test`);
      return ids[name];
    });

  it("gives company B's token 404 on every route that names a company-A record", async () => {
    const routes = registeredRoutes(gw).filter((r) => r.path.startsWith('/api/v1/') && r.path.includes(':'));
    // the admin API as registered today; the test is generated from whatever is registered
    expect(routes.length).toBeGreaterThanOrEqual(14);
    const A = tenants.A;
    const B = tenants.B;
    const results: string[] = [];
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      const writes = route.method === 'POST' || route.method === 'PATCH' || route.method === 'PUT';
      if (writes && !(key in SAMPLE_BODIES)) throw new Error(`no sample body for ${key}; add one to SAMPLE_BODIES`);
      const body = writes ? SAMPLE_BODIES[key] : undefined;
      // 1) A's ids everywhere; 2) B's own company in the path with A's child record ids
      const variants = [fill(route.path, A.ids)];
      if (route.path.includes(':companyId') && /:(?!companyId)\w+/.test(route.path)) variants.push(fill(route.path, { ...A.ids, companyId: B.companyId }));
      // A platform-only route (refunds) answers B's admin 403 on B's own company before looking at A's record.
      const platformOnly = route.abilities.some((a) => !(SEED_ROLE_PERMISSIONS.company_admin as string[]).includes(a));
      for (const path of variants) {
        const res = await call(route.method, path, B.token, body);
        results.push(`${route.method} ${path.replaceAll(A.companyId, 'A').replaceAll(B.companyId, 'B')} -> ${res.status}`);
        const ownCompany = path.startsWith(`/api/v1/companies/${B.companyId}`);
        expect([key, path, res.status]).toEqual([key, path, platformOnly && ownCompany ? 403 : 404]);
      }
    }
    expect(results.length).toBeGreaterThan(routes.length);
  });

  it("leaves company A's records as they were and lists only the caller's company", async () => {
    const A = tenants.A;
    const base = `/api/v1/companies/${A.companyId}`;
    expect((await call('GET', base, A.token)).body).toMatchObject({ name: 'Company A', settings: {} });
    expect((await call('GET', `${base}/branches/${A.ids.branchId}`, A.token)).body.name).toBe('A main');
    expect((await call('GET', `${base}/phone-numbers`, A.token)).body.data).toHaveLength(1);
    expect((await call('GET', `${base}/agents`, A.token)).body.data).toHaveLength(1);
    const users = (await call('GET', `${base}/users`, A.token)).body.data;
    expect(users.map((u: { email: string; role: string }) => [u.email, u.role])).toEqual([['admin@a.test', 'company_admin']]);
    expect((await call('GET', '/api/v1/auth/me', A.token)).status).toBe(200);

    const listB = await call('GET', '/api/v1/companies', tenants.B.token);
    expect(listB.body.data.map((c: { id: string }) => c.id)).toEqual([tenants.B.companyId]);
    const tokensB = await call('GET', '/api/v1/tokens', tenants.B.token);
    expect(tokensB.body.data.map((t: { id: string }) => t.id)).not.toContain(A.tokenId);
    const invitations = (await call('GET', `${base}/portal-invitations`, A.token)).body.data;
    expect(invitations.map((i: { name: string; status: string }) => [i.name, i.status]).sort()).toEqual([['A customer', 'used'], ['A invitee', 'pending']]);
    const portalCustomers = (await call('GET', `${base}/portal-customers`, A.token)).body.data;
    expect(portalCustomers.map((c: { id: string; disabledAt: string | null }) => [c.id, c.disabledAt])).toEqual([[A.ids.portalCustomerId, null]]);
    const auditA = await call('GET', `${base}/audit-log`, A.token);
    expect(auditA.body.data.every((e: { action: string }) => !JSON.stringify(e).includes(tenants.B.companyId))).toBe(true);
  });

  it('lets the platform admin read every company', async () => {
    const list = await call('GET', '/api/v1/companies', platform);
    expect(list.body.data.map((c: { id: string }) => c.id).sort()).toEqual([tenants.A.companyId, tenants.B.companyId].sort());
    // A recording exists only once downloaded (apps/voice-agent/test/call-records.int-spec.ts covers it); the live
    // stream never ends (apps/gateway/test/live-events.int-spec.ts covers it).
    const reads = registeredRoutes(gw).filter((r) => r.method === 'GET' && r.path.includes(':companyId') && !r.path.endsWith('/recording') && !r.path.endsWith('/live'));
    for (const key of ['A', 'B'] as const) {
      for (const route of reads) {
        const path = fill(route.path, tenants[key].ids) + (REQUIRED_QUERIES[route.path] ?? '');
        expect([path, (await call('GET', path, platform)).status]).toEqual([path, 200]);
      }
    }
  });

  it('routes a dialled number or a Retell agent id to its company, never to a fallback', async () => {
    const repo = gw.app.get(CompaniesRepository);
    expect((await repo.findCompanyByNumber('+49 30 111-111'))?.company.id).toBe(tenants.A.companyId);
    expect((await repo.findCompanyByNumber('004930222222'))?.company.id).toBe(tenants.B.companyId);
    expect((await repo.findCompanyByNumber('+4930333333'))).toBeNull();
    expect((await repo.findCompanyByNumber('not-a-phone'))).toBeNull();
    const agent = `agent_A_${tenants.A.companyId.slice(0, 8)}`;
    expect(await repo.findCompanyByAgentId(agent)).toMatchObject({ company: { id: tenants.A.companyId }, branchId: null });
    expect(await repo.findCompanyByAgentId('agent_unknown')).toBeNull();
    // unique across the platform: B cannot claim A's number
    const taken = await call('POST', `/api/v1/companies/${tenants.B.companyId}/phone-numbers`, tenants.B.token, { number: '+4930111111' });
    expect(taken.status).toBe(409);
  });
});
