import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { BookingReply } from '@receptionist/contracts';
import { MessageProducer } from '@receptionist/messaging';
import { CalcomState, RunningSimulator, calcomSimulator, startSimulator } from '@receptionist/simulators';
import { uniqueName, waitFor } from '@receptionist/testing';
import { IS_PUBLIC_KEY } from '@receptionist/service-runtime';
import { startGateway, TestGateway } from './gateway-app';
// Appointments live in booking: the real one answers the portal over booking.request, with the Cal.com simulator.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { BookingRequester, startBooking, startBookingRequester, TestBooking } from '../../booking/test/booking-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { sendSetup, setupDoc, startProducer } from '../../booking/test/fixtures';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { addDays, localToInstant, weekdayOf } from '../../booking/src/common/zoned-time';

jest.setTimeout(180000);

const ADMIN = { email: 'root@portal.test', password: 'correct horse battery staple' };
const TZ = 'Europe/Berlin';
const ERIKA = '+4915112345678';
const MAX = '+4915187654321';

interface Route {
  method: string;
  path: string;
  isPublic: boolean;
}

/** Every route the gateway registered, from the controllers' metadata (so new portal routes are walked too). */
function registeredRoutes(gw: TestGateway): Route[] {
  const discovery = gw.app.get(DiscoveryService, { strict: false });
  const scanner = new MetadataScanner();
  const routes: Route[] = [];
  for (const wrapper of discovery.getControllers()) {
    const ctor = wrapper.metatype;
    const proto = ctor?.prototype;
    if (!ctor || !proto) continue;
    const base = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, ctor) ?? '')[0];
    for (const name of scanner.getAllMethodNames(proto)) {
      const handler = proto[name];
      const sub = Reflect.getMetadata(PATH_METADATA, handler);
      const method = Reflect.getMetadata(METHOD_METADATA, handler);
      if (sub === undefined || method === undefined) continue;
      const path = `/${[base, ([] as string[]).concat(sub)[0]].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/');
      const isPublic = Reflect.getMetadata(IS_PUBLIC_KEY, handler) === true || Reflect.getMetadata(IS_PUBLIC_KEY, ctor) === true;
      routes.push({ method: RequestMethod[method as number], path, isPublic });
    }
  }
  return routes;
}

/** A valid body for each writing portal route with a record id, so a 404 cannot hide behind a 400. A new writing route must add one. */
const PORTAL_BODIES: Record<string, (start: string) => unknown> = {
  'POST /api/portal/appointments/:appointmentId/cancel': () => ({ reason: 'cancelled by someone else' }),
  'POST /api/portal/appointments/:appointmentId/reschedule': (start) => ({ start }),
};

/**
 * The customer portal end to end: a company invites a customer, the link registers them, they sign in and see,
 * cancel and move only their own appointments, which the real booking service holds (real Kafka, MariaDB, Redis;
 * Cal.com simulated).
 */
describe('customer portal', () => {
  let gw: TestGateway;
  let sim: RunningSimulator<CalcomState>;
  let booking: TestBooking;
  let requester: BookingRequester;
  let producer: MessageProducer;
  let db: DataSource;
  let platform: string;
  /** A's user is a company admin, B's company staff: both may invite customers. */
  const tenants: Record<'A' | 'B', { companyId: string; admin: string }> = {} as never;
  /** A's appointments: Erika's two, Max's one; B's: one for Erika's number at company B. */
  const appts: { erika1: string; erika2: string; max: string; bErika: string } = {} as never;
  let erikaToken: string;

  /** A Wednesday 2–3 weeks ahead: Beratung (1001) is offered 09–12 and 13–17 Berlin time. */
  const day = (() => {
    let d = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
    while (weekdayOf(d) !== 'wed') d = addDays(d, 1);
    return d;
  })();
  const at = (hhmm: string) => new Date(localToInstant(day, Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3)), TZ)).toISOString();

  const call = (method: string, path: string, token?: string, body?: unknown) => gw.call(method, path, { token, body });
  const ask = (r: any): Promise<BookingReply> => requester.ask({ callId: null, ...r });

  async function book(companyId: string, start: string, name: string, phone: string): Promise<string> {
    const reply = await ask({ operation: 'appointment.book', companyId, serviceId: 'beratung', start, customer: { name, phone, email: null, language: 'de' }, idempotencyKey: uniqueName('k') });
    expect([start, reply]).toEqual([start, expect.objectContaining({ ok: true })]);
    return (reply.data!.appointment as { appointmentId: string }).appointmentId;
  }

  async function invite(key: 'A' | 'B', body: Record<string, unknown>) {
    const res = await call('POST', `/api/v1/companies/${tenants[key].companyId}/portal-invitations`, tenants[key].admin, body);
    expect(res.status).toBe(201);
    return res.body as { id: string; token: string; link: string; status: string };
  }

  async function signUp(key: 'A' | 'B', contact: { phone?: string; email?: string }, password: string): Promise<{ token: string; customerId: string }> {
    const invitation = await invite(key, { name: `Customer ${contact.phone ?? contact.email}`, ...contact });
    const registered = await call('POST', '/api/portal/register', undefined, { token: invitation.token, password });
    expect(registered.status).toBe(201);
    const login = await call('POST', '/api/portal/login', undefined, { ...contact, password, companyId: tenants[key].companyId });
    expect(login.status).toBe(200);
    return { token: login.body.token, customerId: registered.body.id };
  }

  beforeAll(async () => {
    sim = await startSimulator(calcomSimulator, { port: 0 });
    gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, PORTAL_TOKEN_TTL_MINUTES: '90', PORTAL_URL: 'https://portal.example.com' });
    db = gw.app.get(DataSource);
    platform = (await call('POST', '/api/v1/auth/login', undefined, ADMIN)).body.token;
    for (const key of ['A', 'B'] as const) {
      const company = await call('POST', '/api/v1/companies', platform, { name: `Portal ${key}`, timeZone: TZ });
      const email = `admin@portal-${key.toLowerCase()}.test`;
      const user = await call('POST', `/api/v1/companies/${company.body.id}/users`, platform, { email, name: `${key} admin`, password: `${key} admin password`, role: key === 'A' ? 'company_admin' : 'company_staff' });
      expect([company.status, user.status]).toEqual([201, 201]);
      const login = await call('POST', '/api/v1/auth/login', undefined, { email, password: `${key} admin password` });
      tenants[key] = { companyId: company.body.id, admin: login.body.token };
    }
    booking = await startBooking(
      { CALCOM_BASE_URL: sim.url, CALCOM_API_KEY: 'cal_test_portal', CALCOM_TEAM_SLUG: 'demo-praxis', CALCOM_REQUEST_TIMEOUT_MS: '2000', CALCOM_RETRY_BASE_DELAY_MS: '10' },
      { companies: [tenants.A.companyId, tenants.B.companyId] },
    );
    requester = await startBookingRequester();
    producer = await startProducer();
    for (const key of ['A', 'B'] as const) {
      const companyId = tenants[key].companyId;
      await sendSetup(producer, setupDoc(companyId));
      await waitFor(async () => (await ask({ operation: 'catalogue.get', companyId })).ok, { message: `set-up of ${key}`, timeoutMs: 30000 });
    }
    appts.erika1 = await book(tenants.A.companyId, at('09:00'), 'Erika Mustermann', ERIKA);
    appts.erika2 = await book(tenants.A.companyId, at('10:00'), 'Erika Mustermann', ERIKA);
    appts.max = await book(tenants.A.companyId, at('11:00'), 'Max Muster', MAX);
    appts.bErika = await book(tenants.B.companyId, at('11:30'), 'Erika bei B', ERIKA); // one Cal.com calendar behind both
  });

  afterAll(async () => {
    await producer?.disconnect();
    await requester?.stop();
    await booking?.close();
    await gw?.close();
    await sim?.close();
  });

  it('invites a customer, whose link registers them once, and signs them in with a token of the configured lifetime', async () => {
    const A = tenants.A;
    const invitation = await invite('A', { name: 'Erika Mustermann', phone: '+49 151 12345678' });
    expect(invitation).toMatchObject({ status: 'pending', phone: ERIKA, email: null, companyId: A.companyId });
    expect(invitation.token).toMatch(/^rpi_[0-9a-f-]{36}\.[\w-]{43}$/);
    expect(invitation.link).toBe(`https://portal.example.com/register#token=${invitation.token}`);
    // shown once: stored as a SHA-256 only, never listed again
    const [row] = await db.query('SELECT token_hash FROM portal_invitation WHERE id = ?', [invitation.id]);
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(invitation.token.split('.')[1]);
    const listed = await call('GET', `/api/v1/companies/${A.companyId}/portal-invitations`, A.admin);
    expect(listed.body.data.find((i: { id: string }) => i.id === invitation.id)).toMatchObject({ status: 'pending' });
    expect(JSON.stringify(listed.body)).not.toContain(invitation.token);
    const audit = await call('GET', `/api/v1/companies/${A.companyId}/audit-log?action=portal.invitation.created`, A.admin);
    expect(audit.body.data[0]).toMatchObject({ target: { type: 'portal_invitation', id: invitation.id }, changes: { phone: ERIKA } });
    expect(JSON.stringify(audit.body)).not.toContain(invitation.token);

    // bad input names the field and changes nothing
    const noContact = await call('POST', `/api/v1/companies/${A.companyId}/portal-invitations`, A.admin, { name: 'Nobody' });
    expect([noContact.status, noContact.body.field]).toEqual([400, 'phone']);
    const badPhone = await call('POST', `/api/v1/companies/${A.companyId}/portal-invitations`, A.admin, { name: 'X', phone: '12' });
    expect([badPhone.status, badPhone.body.field]).toEqual([400, 'phone']);
    const weak = await call('POST', '/api/portal/register', undefined, { token: invitation.token, password: 'short' });
    expect([weak.status, weak.body.field]).toEqual([400, 'password']);

    const registered = await call('POST', '/api/portal/register', undefined, { token: invitation.token, password: 'erika portal password' });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ companyId: A.companyId, phone: ERIKA, name: 'Erika Mustermann' });
    const again = await call('POST', '/api/portal/register', undefined, { token: invitation.token, password: 'another portal password' });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/already been used/);
    expect((await call('GET', `/api/v1/companies/${A.companyId}/portal-invitations/${invitation.id}`, A.admin)).body).toMatchObject({ status: 'used', portalCustomerId: registered.body.id });
    // the same phone cannot be invited twice into one company
    const dup = await call('POST', `/api/v1/companies/${A.companyId}/portal-invitations`, A.admin, { name: 'Erika again', phone: ERIKA });
    expect([dup.status, dup.body.field]).toEqual([409, 'phone']);

    // wrong password and unknown phone: the same 401, no hint
    const wrong = await call('POST', '/api/portal/login', undefined, { phone: ERIKA, password: 'not the password' });
    const unknown = await call('POST', '/api/portal/login', undefined, { phone: '+4915100000000', password: 'erika portal password' });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(wrong.body.message).toBe(unknown.body.message);

    const before = Date.now();
    const login = await call('POST', '/api/portal/login', undefined, { phone: '0049 151 12345678', password: 'erika portal password' });
    expect(login.status).toBe(200);
    expect(login.body.token).toMatch(/^rpt_[0-9a-f-]{36}\.[\w-]{43}$/);
    const ttl = Date.parse(login.body.expiresAt) - before;
    expect(ttl).toBeGreaterThan(89 * 60_000);
    expect(ttl).toBeLessThan(91 * 60_000);
    erikaToken = login.body.token;
    expect((await call('GET', '/api/portal/me', erikaToken)).body).toMatchObject({ id: registered.body.id, phone: ERIKA, companyId: A.companyId });
  });

  it("shows the customer only their own appointments, in their own company", async () => {
    const list = await call('GET', '/api/portal/appointments', erikaToken);
    expect(list.status).toBe(200);
    expect(list.body.data.map((a: { appointmentId: string }) => a.appointmentId).sort()).toEqual([appts.erika1, appts.erika2].sort());
    expect(list.body.data[0]).toMatchObject({ serviceName: 'Beratung', status: 'booked' });
  });

  it("cancels and moves the customer's own appointments; someone else's is 404 and stays as it was", async () => {
    const cancelled = await call('POST', `/api/portal/appointments/${appts.erika1}/cancel`, erikaToken, { reason: 'verhindert' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ appointment: { appointmentId: appts.erika1, status: 'cancelled' }, alreadyCancelled: false });

    const free = await call('GET', `/api/portal/appointments/${appts.erika2}/free-times?from=${encodeURIComponent(at('08:00'))}&to=${encodeURIComponent(at('18:00'))}`, erikaToken);
    expect(free.status).toBe(200);
    const target = at('14:00');
    expect(free.body).toMatchObject({ serviceName: 'Beratung', timeZone: TZ });
    expect(free.body.starts.map(Date.parse)).toContain(Date.parse(target));
    expect(free.body.starts.map(Date.parse)).not.toContain(Date.parse(at('11:00'))); // Max's
    const moved = await call('POST', `/api/portal/appointments/${appts.erika2}/reschedule`, erikaToken, { start: target });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ appointment: { appointmentId: appts.erika2, rescheduledCount: 1 }, replayed: false });
    expect(Date.parse(moved.body.appointment.startsAt)).toBe(Date.parse(target));
    const badStart = await call('POST', `/api/portal/appointments/${appts.erika2}/reschedule`, erikaToken, { start: 'tomorrow' });
    expect([badStart.status, badStart.body.field]).toEqual([400, 'start']);

    // Max's appointment: not found for Erika, whatever she tries, and untouched
    for (const [method, path, body] of [
      ['POST', `/api/portal/appointments/${appts.max}/cancel`, {}],
      ['POST', `/api/portal/appointments/${appts.max}/reschedule`, { start: at('15:00') }],
      ['GET', `/api/portal/appointments/${appts.max}/free-times`, undefined],
      ['POST', '/api/portal/appointments/not-a-uuid/cancel', {}],
    ] as const) {
      expect([path, (await call(method, path, erikaToken, body)).status]).toEqual([path, 404]);
    }
    const maxList = await ask({ operation: 'appointment.list', companyId: tenants.A.companyId, customer: { phone: MAX } });
    expect(maxList.data!.appointments).toEqual([expect.objectContaining({ appointmentId: appts.max, status: 'booked', rescheduledCount: 0 })]);
    const entries = await call('GET', `/api/v1/companies/${tenants.A.companyId}/audit-log`, tenants.A.admin);
    expect(entries.body.data.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['portal.appointment.cancelled', 'portal.appointment.rescheduled', 'portal.registered', 'portal.login']));
  });

  it('books a new appointment from the free times of a service, once per Idempotency-Key, under the customer’s own number', async () => {
    const services = await call('GET', '/api/portal/services', erikaToken);
    expect(services.status).toBe(200);
    const beratung = services.body.data.find((s: { name: string }) => s.name === 'Beratung');
    expect(beratung).toMatchObject({ serviceId: expect.any(String), durationMinutes: expect.any(Number) });
    expect(Object.keys(beratung).sort()).toEqual(['durationMinutes', 'name', 'priceMinor', 'serviceId']);

    const free = await call('GET', `/api/portal/free-times?serviceId=${beratung.serviceId}&from=${encodeURIComponent(at('08:00'))}&to=${encodeURIComponent(at('18:00'))}`, erikaToken);
    expect(free.status).toBe(200);
    const target = at('16:00');
    expect(free.body.starts.map(Date.parse)).toContain(Date.parse(target));
    expect(free.body.starts.map(Date.parse)).not.toContain(Date.parse(at('11:00'))); // Max's

    const before = sim.state.bookings.size;
    const post = (body: unknown, key: string) => gw.call('POST', '/api/portal/appointments', { token: erikaToken, body, headers: { 'idempotency-key': key } });
    const booked = await post({ serviceId: beratung.serviceId, start: target }, 'portal-book-1');
    expect(booked.status).toBe(201);
    expect(booked.body).toMatchObject({ appointment: { serviceName: 'Beratung', status: 'booked' }, replayed: false });
    expect(Date.parse(booked.body.appointment.startsAt)).toBe(Date.parse(target));
    const again = await post({ serviceId: beratung.serviceId, start: target }, 'portal-book-1');
    expect(again.body).toMatchObject({ appointment: { appointmentId: booked.body.appointment.appointmentId }, replayed: true });
    expect(sim.state.bookings.size).toBe(before + 1);
    // booked under Erika's number: it is hers in the portal and in booking
    const mine = await call('GET', '/api/portal/appointments', erikaToken);
    expect(mine.body.data.map((a: { appointmentId: string }) => a.appointmentId)).toContain(booked.body.appointment.appointmentId);

    // a taken time, a bad start and an unknown field change nothing
    const taken = await post({ serviceId: beratung.serviceId, start: at('11:00') }, 'portal-book-2');
    expect([taken.status, taken.body.field]).toEqual([409, 'start']);
    const bad = await post({ serviceId: beratung.serviceId, start: 'soon' }, 'portal-book-3');
    expect([bad.status, bad.body.field]).toEqual([400, 'start']);
    expect((await post({ serviceId: beratung.serviceId, start: target, phone: MAX }, 'portal-book-4')).status).toBe(400);
    expect(sim.state.bookings.size).toBe(before + 1);
    const entries = await call('GET', `/api/v1/companies/${tenants.A.companyId}/audit-log`, tenants.A.admin);
    expect(entries.body.data.filter((e: { action: string }) => e.action === 'portal.appointment.booked')).toHaveLength(1);
  });

  it('asks a customer invited by e-mail only for a phone number before booking', async () => {
    const byMail = await signUp('A', { email: 'mail-only@portal.test' }, 'mail only customer password');
    const res = await call('POST', '/api/portal/appointments', byMail.token, { serviceId: 'beratung', start: at('16:30') });
    expect([res.status, res.body.field]).toEqual([422, 'phone']);
  });

  it('refuses a revoked, expired or unknown invitation and creates no account', async () => {
    const A = tenants.A;
    const count = async () => (await call('GET', `/api/v1/companies/${A.companyId}/portal-customers`, A.admin)).body.data.length;
    const accounts = await count();

    const revoked = await invite('A', { name: 'Revoked', email: 'revoked@portal.test' });
    expect((await call('DELETE', `/api/v1/companies/${A.companyId}/portal-invitations/${revoked.id}`, A.admin)).status).toBe(204);
    const r1 = await call('POST', '/api/portal/register', undefined, { token: revoked.token, password: 'a good long password' });
    expect([r1.status, r1.body.message]).toEqual([410, expect.stringMatching(/revoked/)]);

    const expired = await invite('A', { name: 'Expired', email: 'expired@portal.test', expiresInHours: 1 });
    await db.query('UPDATE portal_invitation SET expires_at = ? WHERE id = ?', [new Date(Date.now() - 1000), expired.id]);
    const r2 = await call('POST', '/api/portal/register', undefined, { token: expired.token, password: 'a good long password' });
    expect([r2.status, r2.body.message]).toEqual([410, expect.stringMatching(/expired/)]);
    expect((await call('GET', `/api/v1/companies/${A.companyId}/portal-invitations/${expired.id}`, A.admin)).body.status).toBe('expired');

    const pending = await invite('A', { name: 'Guessed', email: 'guessed@portal.test' });
    const guessed = pending.token.replace(/\.[\w-]{43}$/, `.${'A'.repeat(43)}`);
    const r3 = await call('POST', '/api/portal/register', undefined, { token: guessed, password: 'a good long password' });
    expect(r3.status).toBe(404);
    // a used invitation cannot be revoked (disable the account instead)
    const used = (await call('GET', `/api/v1/companies/${A.companyId}/portal-invitations`, A.admin)).body.data.find((i: { status: string }) => i.status === 'used');
    expect((await call('DELETE', `/api/v1/companies/${A.companyId}/portal-invitations/${used.id}`, A.admin)).status).toBe(409);

    expect(await count()).toBe(accounts);
    for (const email of ['revoked@portal.test', 'expired@portal.test', 'guessed@portal.test']) {
      expect((await call('POST', '/api/portal/login', undefined, { email, password: 'a good long password' })).status).toBe(401);
    }
  });

  it('stops accepting a portal token once it expires, is signed out or the account is disabled', async () => {
    const password = 'expiry portal password';
    const first = await signUp('A', { email: 'expiry@portal.test' }, password);
    expect((await call('GET', '/api/portal/me', first.token)).status).toBe(200);
    await db.query('UPDATE portal_token SET expires_at = ? WHERE id = ?', [new Date(Date.now() - 1000), first.token.slice(4, 40)]);
    expect((await call('GET', '/api/portal/me', first.token)).status).toBe(401);

    const login = async () => (await call('POST', '/api/portal/login', undefined, { email: 'expiry@portal.test', password })).body.token as string;
    const [a, b, c] = [await login(), await login(), await login()];
    expect((await call('POST', '/api/portal/logout', a, {})).status).toBe(204);
    expect([(await call('GET', '/api/portal/me', a)).status, (await call('GET', '/api/portal/me', b)).status]).toEqual([401, 200]);
    expect((await call('POST', '/api/portal/logout', b, { all: true })).status).toBe(204);
    expect([(await call('GET', '/api/portal/me', b)).status, (await call('GET', '/api/portal/me', c)).status]).toEqual([401, 401]);

    const d = await login();
    const disabled = await call('DELETE', `/api/v1/companies/${tenants.A.companyId}/portal-customers/${first.customerId}`, tenants.A.admin);
    expect(disabled.status).toBe(204);
    expect((await call('GET', '/api/portal/me', d)).status).toBe(401);
    expect((await call('POST', '/api/portal/login', undefined, { email: 'expiry@portal.test', password })).status).toBe(401);
  });

  it('never lets a portal token pass an admin route, nor an admin token a portal route', async () => {
    const routes = registeredRoutes(gw);
    const fill = (path: string) => path.replace(/:(\w+)/g, (_m, name: string) => (name === 'companyId' ? tenants.A.companyId : appts.erika2));
    const admin = routes.filter((r) => r.path.startsWith('/api/v1/') && !r.isPublic);
    const portal = routes.filter((r) => r.path.startsWith('/api/portal/') && !r.isPublic);
    expect(admin.length).toBeGreaterThan(20);
    expect(portal.length).toBeGreaterThanOrEqual(6);
    for (const r of admin) expect([r.method, r.path, (await call(r.method, fill(r.path), erikaToken, r.method === 'GET' || r.method === 'DELETE' ? undefined : {})).status]).toEqual([r.method, r.path, 401]);
    for (const token of [tenants.A.admin, platform]) {
      for (const r of portal) expect([r.method, r.path, (await call(r.method, fill(r.path), token, r.method === 'GET' ? undefined : {})).status]).toEqual([r.method, r.path, 401]);
    }
    expect((await call('GET', '/api/portal/appointments', erikaToken)).status).toBe(200);
  });

  it("gives company B's customer 404 on every portal route that names a company-A record, though the phone is the same", async () => {
    const bErika = await signUp('B', { phone: ERIKA }, 'erika at b password');
    // Same number, other company: B's portal shows B's appointment only.
    const list = await call('GET', '/api/portal/appointments', bErika.token);
    expect(list.body.data.map((a: { appointmentId: string }) => a.appointmentId)).toEqual([appts.bErika]);
    const routes = registeredRoutes(gw).filter((r) => r.path.startsWith('/api/portal/') && r.path.includes(':'));
    expect(routes.length).toBeGreaterThanOrEqual(3);
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      const writes = route.method === 'POST' || route.method === 'PATCH' || route.method === 'PUT';
      if (writes && !(key in PORTAL_BODIES)) throw new Error(`no sample body for ${key}; add one to PORTAL_BODIES`);
      for (const id of [appts.erika2, appts.max]) {
        const path = route.path.replace(/:(\w+)/g, (_m, name: string) => {
          if (name !== 'appointmentId') throw new Error(`no company-A record for :${name} in ${route.path}; add it to the portal test`);
          return id;
        });
        const res = await call(route.method, path, bErika.token, writes ? PORTAL_BODIES[key](at('16:00')) : undefined);
        expect([key, id, res.status]).toEqual([key, id, 404]);
      }
    }
    const aErika = await ask({ operation: 'appointment.list', companyId: tenants.A.companyId, customer: { phone: ERIKA } });
    // (besides the one she booked in the portal)
    expect((aErika.data!.appointments as { appointmentId: string }[]).find((a) => a.appointmentId === appts.erika2)).toMatchObject({ status: 'booked', rescheduledCount: 1 });
    const aMax = await ask({ operation: 'appointment.list', companyId: tenants.A.companyId, customer: { phone: MAX } });
    expect(aMax.data!.appointments).toEqual([expect.objectContaining({ appointmentId: appts.max, status: 'booked' })]);
    // and the unscoped routes stay within B
    expect((await call('GET', '/api/portal/me', bErika.token)).body).toMatchObject({ companyId: tenants.B.companyId, id: bErika.customerId });
  });

  it('limits each customer to 60 portal requests per minute (429 with Retry-After), independently of others', async () => {
    const limited = await signUp('B', { email: 'busy@portal.test' }, 'busy portal password');
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 61; i++) {
      last = await call('GET', '/api/portal/me', limited.token);
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 60).every((s) => s === 200)).toBe(true);
    expect(statuses[60]).toBe(429);
    expect(last!.headers.get('ratelimit-limit')).toBe('60');
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.body.message).toMatch(/60 requests per minute/);
    // an e-mail-only customer has no appointments booking could know, and others are not affected
    const other = await signUp('B', { email: 'calm@portal.test' }, 'calm portal password');
    const list = await call('GET', '/api/portal/appointments', other.token);
    expect([list.status, list.body.data]).toEqual([200, []]);
  });

  it("limits each customer's cancellations and reschedules to 10 per minute, apart from the portal's 60", async () => {
    const changer = await signUp('B', { email: 'changer@portal.test' }, 'changer portal password');
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = i % 2 ? await call('POST', '/api/portal/appointments/not-a-uuid/reschedule', changer.token, { start: at('15:00') }) : await call('POST', '/api/portal/appointments/not-a-uuid/cancel', changer.token, {});
      statuses.push(res.status);
      if (i === 10) expect([res.headers.get('ratelimit-limit'), Number(res.headers.get('retry-after')) > 0]).toEqual(['10', true]);
    }
    expect(statuses).toEqual([...Array(10).fill(404), 429]);
    // Reading is still within the portal's own allowance.
    expect((await call('GET', '/api/portal/me', changer.token)).status).toBe(200);
  });

  it('counts invitations as sensitive operations: 10 per minute, then 429', async () => {
    // A second instance on the same database with the production sensitive limit, counting in a keyspace of its own.
    const strict = await startGateway({ RATE_LIMIT_SENSITIVE: '10', RATE_LIMIT_KEY_PREFIX: `rl-portal-strict-${uniqueName('p')}:` }, { database: gw.database });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) {
        const res = await strict.call('POST', `/api/v1/companies/${tenants.B.companyId}/portal-invitations`, { token: tenants.B.admin, body: { name: `Guest ${i}`, email: `guest${i}@portal.test` } });
        statuses.push(res.status);
        if (i === 10) expect(res.headers.get('retry-after')).toBeTruthy();
      }
      expect(statuses).toEqual([...Array(10).fill(201), 429]);
    } finally {
      await strict.close();
    }
  });
});
