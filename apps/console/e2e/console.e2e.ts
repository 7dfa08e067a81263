import { expect, test, type Page } from '@playwright/test';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

/**
 * A salon owner and one of its customers in a real browser, against the real platform (started by
 * tools/platform/console.int-spec.ts with the demo company imported and the demo call placed).
 */
const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through tools/platform/console.int-spec.ts`);
  return v;
};
const GATEWAY = env('E2E_GATEWAY_URL');
const ADMIN = { email: env('E2E_ADMIN_EMAIL'), password: env('E2E_ADMIN_PASSWORD') };
const CALLER = env('E2E_CALLER');
const CALCOM = env('E2E_CALCOM_URL');
const RETELL = env('E2E_RETELL_URL');
const TWILIO = env('E2E_TWILIO_URL');
const SMTP = env('E2E_SMTP_URL');
const SHOTS = process.env.E2E_SCREENSHOTS;
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core in the page (evaluated, not a script tag: the page's CSP allows no inline script); no serious or critical finding. */
async function accessible(page: Page, name: string): Promise<void> {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as any).axe;
    const result = await axe.run((globalThis as any).document, { resultTypes: ['violations'] });
    return result.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n: any) => n.target.join(' ')) }));
  });
  expect(violations.filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical'), `axe on ${name}`).toEqual([]);
}

async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** `yyyy-mm-dd` of the day `days` after today in Berlin (the browser context's time zone). */
const berlinDay = (days: number) => new Date(Date.now() + days * 86_400_000).toLocaleDateString('en-CA', { timeZone: 'Europe/Berlin' });

/** "€1,234.56" (en-GB) → 123456 minor units. */
const minor = (text: string) => Math.round(Number(text.replace(/[^\d.-]/g, '')) * 100);

async function api(method: string, p: string, token: string | null, body?: unknown): Promise<any> {
  const res = await fetch(GATEWAY + p, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  expect(res.status, `${method} ${p}`).toBeLessThan(300);
  return res.status === 204 ? undefined : res.json();
}

test('a business signs in, hears the demo call, tops up; a customer registers and moves the appointment', async ({ page, browser }) => {
  const refused: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
  });
  const recordingAnswers: number[] = [];
  page.on('response', (r) => {
    if (r.url().includes('/api/recordings/')) recordingAnswers.push(r.status());
  });

  await test.step('sign in', async () => {
    await page.goto('/console/');
    await expect(page.getByRole('heading', { name: 'Receptionist console' })).toBeVisible();
    await accessible(page, 'sign-in');
    await shot(page, 'console-sign-in');
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toContainText('E-mail or password is not right');
    // what was typed is kept
    await expect(page.getByLabel('E-mail')).toHaveValue(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
  });

  await test.step('the dashboard shows the demo call and the balance', async () => {
    await expect(page.getByTestId('calls-today')).toContainText(CALLER);
    await expect(page.getByTestId('balance')).toContainText('€');
    await accessible(page, 'dashboard');
    await shot(page, 'console-dashboard');
  });

  await test.step('a new call appears on the dashboard as it happens, without a reload', async () => {
    const caller = '+491709998877';
    const placed = await fetch(`${RETELL}/__sim/retell/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agentId: 'agent_demo_schnittpunkt', fromNumber: caller, toNumber: '+493055571234', baseUrl: GATEWAY, durationMs: 20_000, steps: [] }),
    });
    expect(placed.status).toBe(200);
    await expect(page.getByTestId('calls-today')).toContainText(caller, { timeout: 30_000 });
  });

  await test.step('the call: transcript, summary, functions, and the recording plays and seeks', async () => {
    await page.getByTestId('calls-today').getByRole('link', { name: new RegExp(CALLER.replace('+', '\\+')) }).click();
    await expect(page.getByRole('heading', { name: 'Transcript' })).toBeVisible();
    await expect(page.getByTestId('functions')).toContainText('book_appointment');
    const duration = await page.waitForFunction(() => {
      const audio = (globalThis as any).document.querySelector('audio');
      return audio && Number.isFinite(audio.duration) && audio.duration > 0 ? audio.duration : null;
    });
    expect(await duration.jsonValue()).toBeGreaterThan(1);
    // seeking asks for a byte range
    await page.evaluate(() => {
      const audio = (globalThis as any).document.querySelector('audio');
      audio.currentTime = audio.duration / 2;
    });
    await expect.poll(() => recordingAnswers.includes(206)).toBe(true);
    await accessible(page, 'call');
    await shot(page, 'console-call');
  });

  await test.step('the calls list', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Calls' }).click();
    await expect(page.getByRole('table')).toContainText(CALLER);
    // a bad filter: the API's words at the field, what was typed kept
    await page.getByLabel('Caller').fill('not a number');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page.getByText('must be a phone number')).toBeVisible();
    await expect(page.getByLabel('Caller')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByLabel('Caller')).toHaveValue('not a number');
    await page.getByLabel('Caller').fill(CALLER);
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page.getByRole('table')).toContainText(CALLER);
    await accessible(page, 'calls');
    await shot(page, 'console-calls');
  });

  await test.step('an appointment booked in the console and cancelled: Cal.com shows both, the SMS confirmation went out', async () => {
    const guest = { name: 'Jonas Beispiel', phone: '+491701112233' };
    const guestBookings = async () => ((await (await fetch(`${CALCOM}/__sim/calcom/bookings`)).json()) as { bookings: { status: string; start: string; attendees?: unknown }[] }).bookings.filter((b) => JSON.stringify(b.attendees ?? '').includes(guest.name));
    const accepted = async () => (await guestBookings()).filter((b) => b.status === 'accepted').map((b) => b.start);
    await page.getByRole('navigation').getByRole('link', { name: 'Appointments' }).click();
    await expect(page.getByRole('heading', { name: 'Appointments', level: 1 })).toBeVisible();
    // the week from today holds the demo call's appointment
    await page.getByLabel('View').selectOption('week');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page.getByTestId('appointments')).toContainText('Erika Mustermann');

    const form = page.getByRole('region', { name: 'New appointment' });
    // invalid input: the API's words at each field, nothing typed lost
    await form.getByLabel('Name', { exact: true }).fill(guest.name);
    await form.getByLabel('Phone number').fill('12');
    await form.getByRole('button', { name: 'Book' }).click();
    await expect(form.getByLabel('Phone number')).toHaveAttribute('aria-invalid', 'true');
    await expect(form.getByLabel('Service')).toHaveAttribute('aria-invalid', 'true');
    await expect(form.getByText('Please correct the marked fields.')).toBeVisible();
    await expect(form.getByLabel('Name', { exact: true })).toHaveValue(guest.name);
    await expect(form.getByLabel('Phone number')).toHaveValue('12');
    await accessible(page, 'appointments');

    await form.getByLabel('Phone number').fill(guest.phone);
    await form.getByLabel('Service').selectOption({ index: 1 });
    const time = form.getByLabel('Time');
    for (let days = 1; days <= 14; days++) {
      await form.getByLabel('Day').fill(berlinDay(days));
      await expect(time).toHaveAttribute('data-day', berlinDay(days));
      if ((await time.locator('option').count()) > 2) break;
    }
    await time.selectOption({ index: 2 });
    // corrected fields are no longer marked
    await expect(form.getByLabel('Phone number')).not.toHaveAttribute('aria-invalid', 'true');
    await form.getByRole('button', { name: 'Book' }).click();
    await expect(form.getByRole('status')).toContainText('Booked:');
    await expect(page.getByTestId('appointments')).toContainText(guest.name);
    await shot(page, 'console-appointments');
    await expect.poll(async () => (await accepted()).length, { timeout: 20_000 }).toBe(1);
    await expect
      .poll(async () => ((await (await fetch(`${TWILIO}/__sim/twilio/messages`)).json()) as { messages: { to: string; direction: string }[] }).messages.filter((m) => m.to === guest.phone && m.direction === 'outbound-api').length, { timeout: 30_000 })
      .toBeGreaterThan(0);

    await form.getByRole('status').getByRole('link').click();
    await expect(page.getByTestId('appointment')).toContainText(guest.name);
    await expect(page.getByTestId('history')).toContainText('Booked (by the team)');
    // moved to another free time of the same day: Cal.com follows
    const [startBefore] = await accepted();
    const moveTo = page.getByLabel('Time');
    await expect(moveTo).toHaveAttribute('data-day', /\d{4}-\d{2}-\d{2}/);
    await moveTo.selectOption({ index: (await moveTo.locator('option').count()) - 1 });
    await page.getByRole('button', { name: 'Move', exact: true }).click();
    await expect(page.getByRole('status')).toContainText('Moved.');
    await expect(page.getByTestId('history')).toContainText('Moved');
    await expect.poll(async () => (await accepted()).filter((start) => start !== startBefore).length, { timeout: 20_000 }).toBe(1);
    await page.getByLabel('Reason').fill('the customer called to cancel');
    await page.getByRole('button', { name: 'Cancel appointment' }).click();
    await expect(page.getByRole('status')).toContainText('Cancelled.');
    await expect(page.getByTestId('appointment')).toContainText('Cancelled');
    await expect(page.getByTestId('history')).toContainText('the customer called to cancel');
    // nothing of the customer's stays accepted in Cal.com, and the cancellation is there
    await expect.poll(async () => [(await accepted()).length, (await guestBookings()).some((b) => b.status === 'cancelled')], { timeout: 20_000 }).toEqual([0, true]);
    await accessible(page, 'appointment');
    await shot(page, 'console-appointment');
  });

  await test.step('customers: the demo customer found by name, with the appointment and the call; an edit checked at the field', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Customers' }).click();
    await page.getByLabel('Name, phone or e-mail').fill('Erika');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect(page.getByTestId('customers')).toContainText(CALLER);
    await accessible(page, 'customers');
    await shot(page, 'console-customers');
    await page.getByTestId('customers').getByRole('link', { name: 'Erika Mustermann' }).click();
    await expect(page.getByRole('heading', { name: 'Erika Mustermann', level: 1 })).toBeVisible();
    await expect(page.getByTestId('customer-appointments')).toContainText('Booked');
    await expect(page.getByTestId('customer-calls')).toBeVisible();
    const email = page.getByLabel('E-mail');
    const before = await email.inputValue();
    await email.fill('not an address');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(email).toHaveAttribute('aria-invalid', 'true');
    await expect(email).toHaveValue('not an address');
    await email.fill(before);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('status')).toContainText('Saved.');
    await accessible(page, 'customer');
    await shot(page, 'console-customer');
  });

  await test.step('an expired session signs in again and stays on the same page', async () => {
    const session = await page.evaluate(() => JSON.parse((globalThis as any).localStorage.getItem('receptionist.console.session')));
    await api('DELETE', `/api/v1/tokens/${session.tokenId}`, session.token);
    await page.getByRole('navigation').getByRole('link', { name: 'Billing' }).click();
    await expect(page.getByText('Your session has ended')).toBeVisible();
    await expect(page).toHaveURL(/\/console\/billing$/);
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { name: 'Billing', level: 1 })).toBeVisible();
  });

  await test.step('top up through Stripe Checkout; back in the console the balance shows the credit', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Billing' }).click();
    const before = minor((await page.getByTestId('balance').textContent()) ?? '');
    await accessible(page, 'billing');
    await page.getByLabel('Amount (€)').fill('25');
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await expect(page.getByRole('heading', { name: 'Stripe Checkout (simulator)' })).toBeVisible();
    await page.getByRole('button', { name: /^Pay/ }).click();
    await expect(page).toHaveURL(/\/console\/billing\?topup=done/);
    await expect(page.getByRole('status').first()).toContainText('the payment went through');
    await expect.poll(async () => minor((await page.getByTestId('balance').textContent()) ?? ''), { timeout: 30_000 }).toBe(before + 2500);
    await shot(page, 'console-billing');
  });

  await test.step('a callback webhook: added, its secret shown once, a test delivered and listed', async () => {
    const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    try {
      await page.getByRole('navigation').getByRole('link', { name: 'Settings' }).click();
      await expect(page.getByRole('heading', { name: 'API tokens' })).toBeVisible();
      const hooks = page.getByRole('region', { name: 'Callback webhooks' });
      await hooks.getByRole('button', { name: 'Add webhook' }).click();
      await expect(hooks.getByLabel('URL')).toHaveAttribute('aria-invalid', 'true'); // the API named the empty URL: shown at the field
      await hooks.getByLabel('URL').fill(`http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`);
      await hooks.getByLabel('call.completed').check();
      await hooks.getByRole('button', { name: 'Add webhook' }).click();
      await expect(hooks.getByText('shown only once')).toBeVisible();
      await hooks.getByRole('button', { name: 'Send a test' }).click();
      await expect.poll(() => received.length, { timeout: 30_000 }).toBeGreaterThan(0);
      expect(received[0].headers['webhook-signature']).toMatch(/^v1,/);
      expect(JSON.parse(received[0].body).type).toBe('callback.test');
      await hooks.getByRole('button', { name: 'Deliveries' }).click();
      await expect(hooks.getByRole('table')).toContainText('callback.test');
      await accessible(page, 'settings');
      await shot(page, 'console-settings');
    } finally {
      receiver.close();
    }
  });

  await test.step('settings, German, and phone width', async () => {
    await page.getByLabel('Language').selectOption('de');
    await expect(page.getByRole('heading', { name: 'Einstellungen', level: 1 })).toBeVisible();
    await page.getByRole('navigation').getByRole('link', { name: 'Termine' }).click();
    await expect(page.getByRole('heading', { name: 'Neuer Termin' })).toBeVisible();
    await expect(page.getByLabel('Ansicht')).toBeVisible();
    await accessible(page, 'appointments (de)');
    await page.getByRole('navigation').getByRole('link', { name: 'Übersicht' }).click();
    await expect(page.getByRole('heading', { name: 'Übersicht', level: 1 })).toBeVisible();
    await page.setViewportSize({ width: 375, height: 800 });
    const overflow = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(376);
    await accessible(page, 'dashboard (de, phone)');
    await shot(page, 'console-dashboard-phone-de');
    await page.getByRole('button', { name: 'Abmelden' }).click();
    await expect(page.getByRole('heading', { name: 'Rezeptions-Konsole' })).toBeVisible();
  });

  // The portal: the business invites the caller of the demo call, who registers and moves the appointment.
  const token = (await api('POST', '/api/v1/auth/login', null, ADMIN)).token as string;
  const companies = (await api('GET', '/api/v1/companies', token)).data as { id: string; name: string }[];
  const company = companies.find((c) => c.name === 'Salon Schnittpunkt')!;
  const invitation = await api('POST', `/api/v1/companies/${company.id}/portal-invitations`, token, { name: 'Erika Mustermann', phone: CALLER });
  expect(invitation.link).toMatch(/\/portal\/register#token=/);

  const customer = await (await browser.newContext({ locale: 'en-GB', timezoneId: 'Europe/Berlin' })).newPage();
  customer.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
  });
  const password = 'a long customer password';

  await test.step('the customer registers through the invitation link and signs in', async () => {
    await customer.goto(new URL(invitation.link).pathname + new URL(invitation.link).hash);
    await expect(customer.getByRole('heading', { name: 'Create your account' })).toBeVisible();
    await accessible(customer, 'portal register');
    await shot(customer, 'portal-register');
    await customer.getByLabel('Password').fill('short');
    await customer.getByRole('button', { name: 'Create account' }).click();
    await expect(customer.getByText('must be at least 12 characters')).toBeVisible();
    await customer.getByLabel('Password').fill(password);
    await customer.getByRole('button', { name: 'Create account' }).click();
    await expect(customer.getByText('Your account is ready')).toBeVisible();
    await customer.getByLabel('E-mail / Phone number').fill(CALLER);
    await customer.getByLabel('Password').fill(password);
    await customer.getByRole('button', { name: 'Sign in' }).click();
    await expect(customer.getByRole('heading', { name: 'Appointments', level: 1 })).toBeVisible();
  });

  await test.step('the customer moves the demo appointment to a free time; Cal.com has the new time', async () => {
    const upcoming = customer.getByTestId('upcoming');
    await expect(upcoming).toContainText('Haarschnitt');
    await accessible(customer, 'portal appointments');
    await shot(customer, 'portal-appointments');
    const bookings = async () => ((await (await fetch(`${CALCOM}/__sim/calcom/bookings`)).json()) as { bookings: { status: string; start: string; attendees?: unknown }[] }).bookings;
    const startsBefore = (await bookings()).filter((b) => b.status === 'accepted').map((b) => b.start);
    await upcoming.getByRole('button', { name: 'Move' }).first().click();
    const slots = customer.getByRole('group', { name: 'Choose a free time' });
    await expect(slots.getByRole('button').first()).toBeVisible();
    await accessible(customer, 'portal free times');
    await shot(customer, 'portal-move');
    await slots.getByRole('button').nth(1).click();
    await expect(customer.getByRole('status')).toContainText('Moved.');
    await expect
      .poll(async () => (await bookings()).filter((b) => b.status === 'accepted' && !startsBefore.includes(b.start)).length, { timeout: 20_000 })
      .toBeGreaterThan(0);
  });

  await test.step('the customer books a new appointment from the free times; Cal.com has it', async () => {
    const accepted = async () => ((await (await fetch(`${CALCOM}/__sim/calcom/bookings`)).json()) as { bookings: { status: string }[] }).bookings.filter((b) => b.status === 'accepted').length;
    const before = await accepted();
    const book = customer.getByRole('region', { name: 'Book a new appointment' });
    await book.getByLabel('Service').selectOption({ label: 'Pony nachschneiden (15 min, €8.00)' });
    const slots = book.getByRole('group', { name: 'Choose a free time' });
    await expect(slots.getByRole('button').first()).toBeVisible();
    await accessible(customer, 'portal booking');
    await shot(customer, 'portal-book');
    await slots.getByRole('button').nth(2).click();
    await expect(customer.getByRole('status')).toContainText('Booked.');
    await expect(customer.getByTestId('upcoming')).toContainText('Pony nachschneiden');
    await expect.poll(accepted, { timeout: 20_000 }).toBe(before + 1);
  });

  expect(refused).toEqual([]);
});

/** The newest link to `page` in what the simulators received for `to` (an SMS body or an e-mail's text). */
async function linkIn(texts: () => Promise<string[]>, page: string): Promise<string> {
  const pattern = new RegExp(`https?://\\S+/${page}#token=[A-Za-z0-9_.~%-]+`);
  let link = '';
  await expect
    .poll(async () => (link = (await texts()).map((t) => pattern.exec(t)?.[0] ?? '').filter(Boolean).pop() ?? ''), { timeout: 30_000 })
    .not.toBe('');
  const url = new URL(link);
  return url.pathname + url.hash;
}

test('a team member accepts an SMS invitation, forgets the password and sets a new one', async ({ page }) => {
  const token = (await api('POST', '/api/v1/auth/login', null, ADMIN)).token as string;
  const companies = (await api('GET', '/api/v1/companies', token)).data as { id: string; name: string }[];
  const company = companies.find((c) => c.name === 'Salon Schnittpunkt')!;
  const member = { name: 'Jonas Weber', phone: '+491701234599', email: 'jonas.weber@console-e2e.test' };
  await api('POST', `/api/v1/companies/${company.id}/invitations`, token, { name: member.name, phone: member.phone, role: 'company_staff' });
  const sms = async () => ((await (await fetch(`${TWILIO}/__sim/twilio/messages`)).json()) as { messages: { to: string; body: string }[] }).messages.filter((m) => m.to === member.phone).map((m) => m.body);
  const mails = async () => ((await (await fetch(`${SMTP}/__sim/smtp/messages?to=${encodeURIComponent(member.email)}`)).json()) as { messages: { text: string | null }[] }).messages.map((m) => m.text ?? '');
  const first = 'first password of jonas';
  const second = 'second password of jonas';

  await test.step('the invitation link asks for the e-mail (it came by SMS) and keeps what was typed', async () => {
    await page.goto(await linkIn(sms, 'accept-invitation'));
    await expect(page.getByRole('heading', { name: 'Join your team' })).toBeVisible();
    await accessible(page, 'accept invitation');
    await page.getByLabel('New password', { exact: true }).fill(first);
    await page.getByLabel('Repeat the new password').fill('something else entirely');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByText('The two passwords are not the same.')).toBeVisible();
    await page.getByLabel('Repeat the new password').fill(first);
    await page.getByRole('button', { name: 'Create account' }).click();
    const email = page.getByLabel('E-mail');
    await expect(email).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByText('Please give the e-mail address you will sign in with')).toBeVisible();
    await expect(page.getByLabel('New password', { exact: true })).toHaveValue(first);
    await accessible(page, 'accept invitation (e-mail asked)');
    await shot(page, 'console-accept-invitation');
    await email.fill(member.email);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByRole('status')).toContainText('Your account is ready');
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('E-mail').fill(member.email);
    await page.getByLabel('Password').fill(first);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
    await page.getByRole('button', { name: 'Sign out' }).click();
  });

  await test.step('a forgotten password: the neutral answer, the e-mailed link, a new password, sign-in', async () => {
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await expect(page.getByRole('heading', { name: 'Reset your password' })).toBeVisible();
    await accessible(page, 'forgot password');
    await page.getByLabel('E-mail').fill('nobody@console-e2e.test');
    await page.getByRole('button', { name: 'Send link' }).click();
    const neutral = (await page.getByRole('status').textContent()) ?? '';
    expect(neutral).toContain('If an account with this e-mail address exists');
    await page.goto('/console/forgot-password');
    await page.getByLabel('E-mail').fill(member.email);
    await page.getByRole('button', { name: 'Send link' }).click();
    // the same words whether or not the address has an account
    await expect(page.getByRole('status')).toHaveText(neutral);

    await page.goto(await linkIn(mails, 'reset-password'));
    await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
    await accessible(page, 'reset password');
    await shot(page, 'console-reset-password');
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Save password' }).click();
    await expect(page.getByText('The password needs at least 12 characters.')).toBeVisible();
    await page.getByLabel('New password', { exact: true }).fill(second);
    await page.getByLabel('Repeat the new password').fill(second);
    await page.getByRole('button', { name: 'Save password' }).click();
    await expect(page.getByRole('status')).toContainText('Your password has been changed');
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('E-mail').fill(member.email);
    await page.getByLabel('Password').fill(first);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toContainText('E-mail or password is not right');
    await page.getByLabel('Password').fill(second);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible();
  });
});
