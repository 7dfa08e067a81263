import nodemailer from 'nodemailer';
import { createSmtpSimulator, SmtpState } from './providers/smtp';
import { RunningSimulator, startSimulator } from './simulator';

/** The SMTP simulator with nodemailer as the notification service uses it: AUTH, storage, the HTTP API, outages. */
describe('SMTP simulator', () => {
  let open: RunningSimulator<SmtpState>;
  let authed: RunningSimulator<SmtpState>;

  beforeAll(async () => {
    open = await startSimulator(createSmtpSimulator(), { port: 0 });
    authed = await startSimulator(createSmtpSimulator({ user: 'mailer', password: 'right-password' }), { port: 0 });
  });
  afterAll(async () => {
    await open?.close();
    await authed?.close();
  });
  beforeEach(() => [open, authed].forEach((s) => s.reset()));

  const transport = (sim: RunningSimulator<SmtpState>, auth?: { user: string; pass: string }) =>
    nodemailer.createTransport({ host: '127.0.0.1', port: sim.state.mailPort!, secure: false, ...(auth ? { auth } : {}) });
  const json = async (url: string, init?: RequestInit) => {
    const res = await fetch(url, init);
    return { status: res.status, type: res.headers.get('content-type'), text: await res.clone().text(), body: (res.headers.get('content-type')?.includes('json') ? await res.json() : null) as any };
  };

  it('keeps what it received and lists, filters and shows it over HTTP', async () => {
    const info = await transport(open).sendMail({
      from: 'Salon Sonne <no-reply@salon.test>',
      to: 'Anna@Example.com',
      bcc: 'hidden@example.com',
      subject: 'Ihre Einladung',
      text: 'Hallo Anna, bitte folgen Sie dem Link.',
      html: '<p>Hallo Anna</p>',
      attachments: [{ filename: 'termin.ics', content: 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', contentType: 'text/calendar; method=REQUEST' }],
    });
    await transport(open).sendMail({ from: 'no-reply@salon.test', to: 'ben@example.com', subject: 'Other', text: 'x' });
    expect(info.accepted).toHaveLength(2);

    const server = await json(`${open.url}/__sim/smtp/server`);
    expect(server.body).toEqual({ mailPort: open.state.mailPort, authRequired: false });

    const list = await json(`${open.url}/__sim/smtp/messages?to=anna@example.com`);
    expect(list.body.messages).toHaveLength(1);
    const [summary] = list.body.messages;
    expect(summary).toMatchObject({
      envelope: { from: 'no-reply@salon.test', to: ['anna@example.com', 'hidden@example.com'] },
      from: ['no-reply@salon.test'],
      to: ['anna@example.com'],
      subject: 'Ihre Einladung',
      authUser: null,
      attachments: [{ filename: 'termin.ics', contentType: 'text/calendar' }],
    });
    expect(summary.attachments[0].content).toBeUndefined();
    expect((await json(`${open.url}/__sim/smtp/messages?to=hidden@example.com`)).body.messages).toHaveLength(1);
    expect((await json(`${open.url}/__sim/smtp/messages?subject=other`)).body.messages.map((m: { to: string[] }) => m.to)).toEqual([['ben@example.com']]);

    const one = await json(`${open.url}/__sim/smtp/messages/${summary.id}`);
    expect(one.body).toMatchObject({ text: expect.stringContaining('bitte folgen Sie dem Link'), html: '<p>Hallo Anna</p>' });
    expect(Buffer.from(one.body.attachments[0].content, 'base64').toString()).toContain('BEGIN:VCALENDAR');
    const raw = await json(`${open.url}/__sim/smtp/messages/${summary.id}/raw`);
    expect(raw.type).toContain('message/rfc822');
    expect(raw.text).toContain('Subject: Ihre Einladung');
    expect((await json(`${open.url}/__sim/smtp/messages/nope`)).status).toBe(404);

    expect((await json(`${open.url}/__sim/smtp/messages`, { method: 'DELETE' })).body).toEqual({ deleted: 2 });
    expect((await json(`${open.url}/__sim/smtp/messages`)).body.messages).toEqual([]);
  });

  it('with credentials configured, requires AUTH and checks it, keeping the user but never the password', async () => {
    await expect(transport(authed).sendMail({ from: 'a@x.test', to: 'b@x.test', subject: 's', text: 't' })).rejects.toMatchObject({ responseCode: 530 });
    await expect(transport(authed, { user: 'mailer', pass: 'wrong' }).sendMail({ from: 'a@x.test', to: 'b@x.test', subject: 's', text: 't' })).rejects.toMatchObject({
      responseCode: 535,
    });
    await transport(authed, { user: 'mailer', pass: 'right-password' }).sendMail({ from: 'a@x.test', to: 'b@x.test', subject: 's', text: 't' });
    expect(authed.state.messages).toHaveLength(1);
    expect(authed.state.messages[0].authUser).toBe('mailer');
    expect(JSON.stringify(authed.state.messages)).not.toContain('right-password');
  });

  it('answers 421 (try later) while down, and accepts again when back to normal', async () => {
    open.setFault({ mode: 'down' });
    await expect(transport(open).sendMail({ from: 'a@x.test', to: 'b@x.test', subject: 's', text: 't' })).rejects.toMatchObject({ responseCode: 421 });
    open.setFault({ mode: 'normal' });
    await transport(open).sendMail({ from: 'a@x.test', to: 'b@x.test', subject: 's', text: 't' });
    expect(open.state.to('b@x.test')).toHaveLength(1);
  });
});
