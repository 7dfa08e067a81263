import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { simpleParser, AddressObject } from 'mailparser';
import { SMTPServer, SMTPServerAuthentication, SMTPServerSession } from 'smtp-server';
import { CONTROL_PREFIX, SideListener, SideListenOptions, Simulator, SimulatorState } from '../simulator';

/**
 * A mail server for local runs and tests: speaks real SMTP (the `smtp-server` package, as Postfix or a provider's
 * relay would answer nodemailer) on its mail port and keeps every message it accepted, parsed with `mailparser`,
 * for the HTTP API next to it. No mail ever leaves it.
 *
 * SMTP (default port 2525, SIM_SMTP_MAIL_PORT; a free port when the HTTP port is 0): no STARTTLS (there is no
 * certificate), so AUTH PLAIN/LOGIN is allowed in the clear. With SIM_SMTP_USER and SIM_SMTP_PASSWORD set, AUTH is
 * required and checked (535 for wrong credentials, 530 for MAIL FROM without AUTH); without them AUTH is optional and
 * any credentials are accepted. While the simulator's fault mode is 'down', MAIL FROM answers 421 (try again later),
 * a transient failure like a relay's outage. Messages over 10 MB are refused with 552.
 *
 * HTTP test controls (besides the shared /__sim ones):
 *   GET    /__sim/smtp/messages?to=&from=&subject=   accepted messages, newest last (to/from: an envelope or header
 *                                                    address, case-insensitive; subject: a substring)
 *   GET    /__sim/smtp/messages/:id                  one message: envelope, headers, text, html, attachments (base64)
 *   GET    /__sim/smtp/messages/:id/raw              the message exactly as received (message/rfc822)
 *   DELETE /__sim/smtp/messages                      forget every message
 *   GET    /__sim/smtp/server                        the mail port and whether AUTH is required
 */
export interface SmtpAttachment {
  filename: string | null;
  contentType: string;
  size: number;
  /** base64 */
  content: string;
}

export interface ReceivedMail {
  id: string;
  receivedAt: string;
  /** SMTP envelope: what the client said in MAIL FROM / RCPT TO (Bcc recipients only appear here). */
  envelope: { from: string | null; to: string[] };
  /** The user the client authenticated as, or null. The password is never kept. */
  authUser: string | null;
  messageId: string | null;
  from: string[];
  to: string[];
  cc: string[];
  subject: string;
  text: string | null;
  html: string | null;
  headers: Record<string, string>;
  attachments: SmtpAttachment[];
  raw: string;
}

export interface SmtpSimulatorOptions {
  /** Mail port; default SIM_SMTP_MAIL_PORT or 2525 (0 when the HTTP API was asked for port 0). */
  mailPort?: number;
  /** Credentials AUTH must present; default SIM_SMTP_USER / SIM_SMTP_PASSWORD. Unset: AUTH optional. */
  user?: string;
  password?: string;
}

export interface SmtpState extends SimulatorState {
  messages: ReceivedMail[];
  /** Bound mail port once listening. */
  mailPort: number | null;
  authRequired: boolean;
  /** Messages whose envelope or header recipients include `address` (case-insensitive). */
  to(address: string): ReceivedMail[];
  /** Resolves once a message for `address` has arrived (tests). */
  waitFor(address: string, timeoutMs?: number): Promise<ReceivedMail>;
}

export const SMTP_MAX_SIZE = 10 * 1024 * 1024;

const addresses = (field: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) => a.value.map((v) => v.address ?? '').filter(Boolean)).map((a) => a.toLowerCase());

function matchesAddress(mail: ReceivedMail, address: string): boolean {
  const wanted = address.trim().toLowerCase();
  return mail.envelope.to.includes(wanted) || mail.to.includes(wanted) || mail.cc.includes(wanted);
}

function createState(): SmtpState {
  const state: SmtpState = {
    messages: [],
    mailPort: null,
    authRequired: false,
    to: (address) => state.messages.filter((m) => matchesAddress(m, address)),
    waitFor: async (address, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = state.to(address).at(-1);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no mail for ${address} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    reset: () => {
      state.messages.length = 0;
    },
  };
  return state;
}

/** An SMTP reply error: smtp-server sends `responseCode` and the message as the reply line. */
function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

async function parse(raw: Buffer, session: SMTPServerSession): Promise<ReceivedMail> {
  const parsed = await simpleParser(raw, { skipHtmlToText: false });
  const headers: Record<string, string> = {};
  for (const line of parsed.headerLines) headers[line.key] = line.line.slice(line.line.indexOf(':') + 1).trim();
  const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address.toLowerCase() : null;
  return {
    id: randomUUID(),
    receivedAt: new Date().toISOString(),
    envelope: { from: envelopeFrom, to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()) },
    authUser: typeof session.user === 'string' ? session.user : null,
    messageId: parsed.messageId ?? null,
    from: addresses(parsed.from),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    subject: parsed.subject ?? '',
    text: parsed.text ?? null,
    html: typeof parsed.html === 'string' ? parsed.html : null,
    headers,
    attachments: parsed.attachments.map((a) => ({ filename: a.filename ?? null, contentType: a.contentType, size: a.size, content: a.content.toString('base64') })),
    raw: raw.toString('utf8'),
  };
}

/** Without the raw source and attachment contents: what a list shows. */
const summary = ({ raw: _raw, attachments, ...rest }: ReceivedMail) => ({
  ...rest,
  attachments: attachments.map(({ content: _content, ...a }) => a),
});

function startSmtp(state: SmtpState, options: SmtpSimulatorOptions, listen: SideListenOptions): Promise<SideListener> {
  const env = process.env;
  const user = options.user ?? env.SIM_SMTP_USER;
  const password = options.password ?? env.SIM_SMTP_PASSWORD;
  const envPort = env.SIM_SMTP_MAIL_PORT ? Number(env.SIM_SMTP_MAIL_PORT) : undefined;
  if (envPort !== undefined && (!Number.isInteger(envPort) || envPort < 0 || envPort > 65535)) {
    return Promise.reject(new Error(`SIM_SMTP_MAIL_PORT: must be a port number 0-65535, got "${env.SIM_SMTP_MAIL_PORT}"`));
  }
  const port = options.mailPort ?? (listen.httpPort === 0 ? 0 : (envPort ?? 2525));
  state.authRequired = Boolean(user && password);

  const server = new SMTPServer({
    name: 'smtp.simulator.local',
    banner: 'receptionist SMTP simulator',
    size: SMTP_MAX_SIZE,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !state.authRequired,
    logger: false,
    onAuth(auth: SMTPServerAuthentication, _session, callback) {
      if (state.authRequired && (auth.username !== user || auth.password !== password)) {
        return callback(smtpError(535, 'Authentication credentials invalid'));
      }
      callback(null, { user: auth.username });
    },
    onMailFrom(_address, _session, callback) {
      if (listen.fault().mode === 'down') return callback(smtpError(421, 'Service not available, try again later (simulated outage)'));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        // smtp-server marks an oversized message only at the end; the client still gets 552.
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) return callback(smtpError(552, 'Message exceeds fixed maximum message size'));
        parse(Buffer.concat(chunks), session).then(
          (mail) => {
            state.messages.push(mail);
            callback(null, `Message queued as ${mail.id}`);
          },
          (error: Error) => callback(smtpError(451, `Could not parse the message: ${error.message}`)),
        );
      });
    },
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, listen.host, () => {
      server.off('error', reject);
      state.mailPort = (server.server.address() as AddressInfo).port;
      resolve({ close: () => new Promise<void>((done) => server.close(() => done())) });
    });
  });
}

/** An SMTP simulator; tests pass their own ports and credentials, the registry's one reads SIM_SMTP_*. */
export function createSmtpSimulator(options: SmtpSimulatorOptions = {}): Simulator<SmtpState> {
  return {
    name: 'smtp',
    defaultPort: 4100,
    createState,
    listen: (state, listen) => startSmtp(state, options, listen),
    register(app: FastifyInstance, state: SmtpState) {
      const byId = (id: string) => state.messages.find((m) => m.id === id);
      app.get(`${CONTROL_PREFIX}/smtp/server`, async () => ({ mailPort: state.mailPort, authRequired: state.authRequired }));
      app.get<{ Querystring: { to?: string; from?: string; subject?: string } }>(`${CONTROL_PREFIX}/smtp/messages`, async (request) => {
        const { to, from, subject } = request.query;
        const messages = state.messages.filter(
          (m) =>
            (!to || matchesAddress(m, to)) &&
            (!from || m.envelope.from === from.toLowerCase() || m.from.includes(from.toLowerCase())) &&
            (!subject || m.subject.toLowerCase().includes(subject.toLowerCase())),
        );
        return { messages: messages.map(summary) };
      });
      app.get<{ Params: { id: string } }>(`${CONTROL_PREFIX}/smtp/messages/:id`, async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
        const mail = byId(request.params.id);
        if (!mail) return reply.code(404).send({ error: `no message ${request.params.id}` });
        const { raw: _raw, ...rest } = mail;
        return rest;
      });
      app.get<{ Params: { id: string } }>(`${CONTROL_PREFIX}/smtp/messages/:id/raw`, async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
        const mail = byId(request.params.id);
        if (!mail) return reply.code(404).send({ error: `no message ${request.params.id}` });
        return reply.type('message/rfc822').send(mail.raw);
      });
      app.delete(`${CONTROL_PREFIX}/smtp/messages`, async () => {
        const deleted = state.messages.length;
        state.reset();
        return { deleted };
      });
    },
    error: (statusCode, message) => ({ statusCode, body: { error: message } }),
  };
}

export const smtpSimulator = createSmtpSimulator();
