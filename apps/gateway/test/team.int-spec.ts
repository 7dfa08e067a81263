import { DataSource } from 'typeorm';
import { createSmtpSimulator, RunningSimulator, SmtpState, startSimulator, twilioSimulator, TwilioState } from '@receptionist/simulators';
import { testInfra, uniqueName, waitFor } from '@receptionist/testing';
// The notification service delivers the links: the real one, against the SMTP and Twilio simulators.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startNotification, TestNotification, TEST_FROM } from '../../notification/test/notification-app';
import { SEED_ROLE_PERMISSIONS } from '../src/auth/permissions';
import { startGateway, TestGateway } from './gateway-app';

jest.setTimeout(120_000);

const ADMIN = { email: `root-${uniqueName('t')}@team.test`, password: 'correct horse battery staple' };

/**
 * Team management end to end (real Kafka, MariaDB, Redis; the notification service with the SMTP and Twilio
 * simulators): invitations by e-mail and SMS arrive and work exactly once, custom roles limit abilities (at once
 * when narrowed), a role change or a reset password revokes the old tokens, the reset link works once, expires, is
 * limited per account and per client, and the answer never tells whether an account exists.
 */
describe('team: invitations, roles, password reset', () => {
  let gw: TestGateway;
  let notification: TestNotification;
  let smtp: RunningSimulator<SmtpState>;
  let twilio: RunningSimulator<TwilioState>;
  let db: DataSource;
  let platform: string;
  let companyId: string;
  let adminToken: string;
  const adminEmail = `admin-${uniqueName('a')}@salon.test`;
  const staffEmail = `staff-${uniqueName('s')}@salon.test`;
  const base = () => `/api/v1/companies/${companyId}`;

  const login = (email: string, password: string) => gw.call('POST', '/api/v1/auth/login', { body: { email, password } });
  const linkToken = (text: string | null | undefined, prefix: 'rti' | 'rpr') => {
    const match = new RegExp(`#token=(${prefix}_[^\\s]+)`).exec(text ?? '');
    if (!match) throw new Error(`no ${prefix} link in: ${text}`);
    return decodeURIComponent(match[1]);
  };
  const mailTo = (address: string, n = 1) => waitFor(() => (smtp.state.to(address).length >= n ? smtp.state.to(address)[n - 1] : null), { message: `mail ${n} to ${address}` });

  beforeAll(async () => {
    smtp = await startSimulator(createSmtpSimulator({ user: 'mailer', password: 'smtp-password' }), { port: 0 });
    twilio = await startSimulator(twilioSimulator, { port: 0 });
    gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, PASSWORD_RESET_PER_HOUR: '3', CONSOLE_URL: 'https://console.example.test/console' });
    platform = (await login(ADMIN.email, ADMIN.password)).body.token;
    const company = await gw.call('POST', '/api/v1/companies', { token: platform, body: { name: 'Salon Sonne', timeZone: 'Europe/Berlin', language: 'de' } });
    expect(company.status).toBe(201);
    companyId = company.body.id;
    const admin = await gw.call('POST', `${base()}/users`, { token: platform, body: { email: adminEmail, name: 'Anna Admin', password: 'anna admin password', role: 'company_admin' } });
    expect(admin.status).toBe(201);
    adminToken = (await login(adminEmail, 'anna admin password')).body.token;
    notification = await startNotification(
      { TWILIO_API_BASE: twilio.url, SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.state.mailPort), SMTP_USER: 'mailer', SMTP_PASSWORD: 'smtp-password', SMTP_FROM: 'Salon Sonne <team@salon.test>' },
      { companies: [companyId] },
    );
    db = new DataSource({ type: 'mysql', ...testInfra.db, database: gw.database, timezone: 'Z' });
    await db.initialize();
  });

  afterAll(async () => {
    await db?.destroy();
    await notification?.close();
    await gw?.close();
    await smtp?.close();
    await twilio?.close();
  });

  it('invites by e-mail: the link arrives at the SMTP server, not in the answer, and works exactly once', async () => {
    const invited = await gw.call('POST', `${base()}/invitations`, { token: adminToken, body: { name: 'Sam Staff', email: staffEmail, role: 'company_staff' } });
    expect(invited.status).toBe(201);
    expect(invited.body).toMatchObject({ name: 'Sam Staff', email: staffEmail, channel: 'email', role: 'company_staff', status: 'pending' });
    expect(JSON.stringify(invited.body)).not.toMatch(/rti_|#token=/);

    const mail = await mailTo(staffEmail);
    expect(mail).toMatchObject({ authUser: 'mailer', from: ['team@salon.test'], subject: 'Einladung ins Team von Salon Sonne' });
    expect(mail.text).toContain('https://console.example.test/console/accept-invitation#token=');
    const token = linkToken(mail.text, 'rti');

    const accepted = await gw.call('POST', '/api/v1/team/invitations/accept', { body: { token, password: 'sam staff password' } });
    expect(accepted.status).toBe(201);
    expect(accepted.body).toMatchObject({ email: staffEmail, name: 'Sam Staff', role: 'company_staff', companyId });
    const again = await gw.call('POST', '/api/v1/team/invitations/accept', { body: { token, password: 'another password 1' } });
    expect([again.status, again.body.field]).toEqual([409, 'token']);

    const signedIn = await login(staffEmail, 'sam staff password');
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.abilities).toEqual([...SEED_ROLE_PERMISSIONS.company_staff].sort());
    expect((await gw.call('GET', `${base()}/invitations/${invited.body.id}`, { token: adminToken })).body).toMatchObject({ status: 'used', userId: accepted.body.id });
    // Delivery recorded by the notification service, without the link.
    const sent = await waitFor(async () => (await notificationRows(invited.body.id)).find((r) => r.status === 'sent'));
    expect(sent).toMatchObject({ kind: 'team_invitation', channel: 'email', recipient: staffEmail });
  });

  async function notificationRows(subjectId: string): Promise<{ kind: string; channel: string; recipient: string; status: string }[]> {
    const ds = new DataSource({ type: 'mysql', ...testInfra.db, database: notification.database });
    await ds.initialize();
    try {
      return await ds.query('SELECT kind, channel, recipient, status FROM notification_team_message WHERE subject_id = ?', [subjectId]);
    } finally {
      await ds.destroy();
    }
  }

  it('invites by SMS into a custom role, whose abilities are all the user gets (narrowed at once)', async () => {
    const role = await gw.call('POST', `${base()}/roles`, { token: adminToken, body: { name: 'Empfang', abilities: ['calls.read', 'appointments.read', 'calls.read'] } });
    expect(role.status).toBe(201);
    expect(role.body).toMatchObject({ name: 'Empfang', builtIn: false, abilities: ['appointments.read', 'calls.read'], users: 0 });
    const phone = `+4917${String(Date.now()).slice(-9)}`;
    const invited = await gw.call('POST', `${base()}/invitations`, { token: adminToken, body: { name: 'Rita Rezeption', phone, customRoleId: role.body.id } });
    expect(invited.status).toBe(201);
    expect(invited.body).toMatchObject({ channel: 'sms', role: 'company_custom', customRoleId: role.body.id });

    const sms = await waitFor(() => twilio.state.outbound().find((m) => m.to === phone), { message: 'invitation SMS' });
    expect(sms.from).toBe(TEST_FROM);
    const token = linkToken(sms.body, 'rti');
    // An SMS invitation has no address to sign in with: the invitee gives one.
    const noEmail = await gw.call('POST', '/api/v1/team/invitations/accept', { body: { token, password: 'rita reception password' } });
    expect([noEmail.status, noEmail.headers.get('content-type'), noEmail.body.errors]).toEqual([400, expect.stringMatching(/^application\/problem\+json/), [{ field: 'email', message: expect.any(String) }]]);
    const ritaEmail = `rita-${uniqueName('r')}@salon.test`;
    const accepted = await gw.call('POST', '/api/v1/team/invitations/accept', { body: { token, password: 'rita reception password', email: ritaEmail } });
    expect(accepted.status).toBe(201);
    expect((await gw.call('POST', '/api/v1/team/invitations/accept', { body: { token, password: 'rita reception password', email: `x-${ritaEmail}` } })).status).toBe(409);

    const rita = (await login(ritaEmail, 'rita reception password')).body.token;
    expect((await gw.call('GET', '/api/v1/auth/me', { token: rita })).body.abilities).toEqual(['appointments.read', 'calls.read']);
    expect((await gw.call('GET', `${base()}/users`, { token: rita })).status).toBe(403);
    expect((await gw.call('GET', base(), { token: rita })).status).toBe(403);

    const narrowed = await gw.call('PATCH', `${base()}/roles/${role.body.id}`, { token: adminToken, body: { abilities: ['calls.read'] } });
    expect([narrowed.status, narrowed.body.abilities, narrowed.body.users]).toEqual([200, ['calls.read'], 1]);
    expect((await gw.call('GET', '/api/v1/auth/me', { token: rita })).body.abilities).toEqual(['calls.read']);
    // Held by a user: cannot be deleted until they have another role.
    expect((await gw.call('DELETE', `${base()}/roles/${role.body.id}`, { token: adminToken })).status).toBe(409);
    const roles = (await gw.call('GET', `${base()}/roles`, { token: adminToken })).body.data.map((r: { id: string }) => r.id);
    expect(roles).toEqual(['company_owner', 'company_admin', 'company_staff', 'company_readonly', role.body.id]);
  });

  it('refuses bad input naming every field, and roles above the caller', async () => {
    const bad = await gw.call('POST', `${base()}/invitations`, { token: adminToken, body: { name: '', email: 'not-an-address', role: 'boss' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'name', 'role']);
    const badRole = await gw.call('POST', `${base()}/roles`, { token: adminToken, body: { name: 'Refunder', abilities: ['billing.refund'] } });
    expect([badRole.status, badRole.body.errors?.[0]?.field]).toEqual([400, 'abilities.0']);
    // An admin does not make owners.
    const owner = await gw.call('POST', `${base()}/invitations`, { token: adminToken, body: { name: 'Olaf', email: `o-${staffEmail}`, role: 'company_owner' } });
    expect(owner.status).toBe(403);
    const unknownRole = await gw.call('POST', `${base()}/invitations`, { token: adminToken, body: { name: 'Olaf', email: `o-${staffEmail}`, customRoleId: '00000000-0000-4000-8000-000000000000' } });
    expect([unknownRole.status, unknownRole.body.errors]).toEqual([400, [{ field: 'customRoleId', message: 'no such role in this company' }]]);
  });

  it("revokes a user's old tokens when their role changes", async () => {
    const users = (await gw.call('GET', `${base()}/users`, { token: adminToken })).body.data as { id: string; email: string }[];
    const staff = users.find((u) => u.email === staffEmail)!;
    const old = (await login(staffEmail, 'sam staff password')).body.token;
    expect((await gw.call('GET', '/api/v1/auth/me', { token: old })).status).toBe(200);
    const changed = await gw.call('PATCH', `${base()}/users/${staff.id}`, { token: adminToken, body: { role: 'company_readonly' } });
    expect([changed.status, changed.body.role]).toEqual([200, 'company_readonly']);
    expect((await gw.call('GET', '/api/v1/auth/me', { token: old })).status).toBe(401);
    const fresh = await login(staffEmail, 'sam staff password');
    expect(fresh.body.abilities).toEqual([...SEED_ROLE_PERMISSIONS.company_readonly].sort());
  });

  it('resets a password by a link that works once, expires, is limited, and never tells whether the account exists', async () => {
    const before = (await login(staffEmail, 'sam staff password')).body.token;
    const known = await gw.call('POST', '/api/v1/auth/password-reset', { body: { email: staffEmail.toUpperCase() } });
    const unknown = await gw.call('POST', '/api/v1/auth/password-reset', { body: { email: `nobody-${staffEmail}` } });
    const malformed = await gw.call('POST', '/api/v1/auth/password-reset', { body: { email: 'not an address' } });
    expect([known.status, unknown.status, malformed.status]).toEqual([202, 202, 202]);
    expect(unknown.body).toEqual(known.body);
    expect(malformed.body).toEqual(known.body);

    const mail = await mailTo(staffEmail, 2);
    expect(mail.subject).toBe('Passwort zurücksetzen');
    const token = linkToken(mail.text, 'rpr');
    expect(smtp.state.to(`nobody-${staffEmail}`)).toEqual([]);

    const weak = await gw.call('POST', '/api/v1/auth/password-reset/confirm', { body: { token, password: 'short' } });
    expect([weak.status, weak.body.errors?.[0]?.field]).toEqual([400, 'password']);
    const done = await gw.call('POST', '/api/v1/auth/password-reset/confirm', { body: { token, password: 'sam new password 2' } });
    expect([done.status, done.body.status]).toEqual([200, 'password changed']);
    const twice = await gw.call('POST', '/api/v1/auth/password-reset/confirm', { body: { token, password: 'sam newer password 3' } });
    expect([twice.status, twice.body.errors]).toEqual([400, [{ field: 'token', message: 'invalid, used or expired' }]]);
    expect((await login(staffEmail, 'sam staff password')).status).toBe(401);
    expect((await login(staffEmail, 'sam new password 2')).status).toBe(200);
    expect((await gw.call('GET', '/api/v1/auth/me', { token: before })).status).toBe(401);

    // A link past its expiry (time moved on: its row says so) no longer works.
    await gw.call('POST', '/api/v1/auth/password-reset', { body: { email: staffEmail } });
    const late = linkToken((await mailTo(staffEmail, 3)).text, 'rpr');
    await db.query('UPDATE password_reset SET expires_at = ? WHERE id = ?', [new Date(Date.now() - 1000), late.slice(4, 40)]);
    expect((await gw.call('POST', '/api/v1/auth/password-reset/confirm', { body: { token: late, password: 'sam late password 4' } })).status).toBe(400);

    // Three links per account and hour: the fourth request answers the same and creates (and sends) nothing.
    const fourth = await gw.call('POST', '/api/v1/auth/password-reset', { body: { email: staffEmail } });
    expect([fourth.status, fourth.body]).toEqual([202, known.body]);
    const [{ n }] = await db.query('SELECT COUNT(*) AS n FROM password_reset r JOIN app_user u ON u.id = r.user_id WHERE u.email = ?', [staffEmail]);
    expect(Number(n)).toBe(3);

    // Per client too: the route is in the `sensitive` category (the harness sets it to 1000 per minute; 10 by
    // default, and a full window answers 429 as apps/gateway/test/sensitive-limit.int-spec.ts shows).
    expect([fourth.headers.get('ratelimit-limit'), done.headers.get('ratelimit-limit')]).toEqual(['1000', '1000']);
  });
});
