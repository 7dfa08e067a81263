import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CONTROL_PREFIX, Simulator, SimulatorState } from '../simulator';

/**
 * Twilio Programmable Messaging simulator (SMS and WhatsApp through one Messages API), wire-compatible with the
 * official `twilio` SDK pointed at it (`client.api.baseUrl = <url>`):
 *
 *   POST /2010-04-01/Accounts/{AccountSid}/Messages.json   form-encoded To, From | MessagingServiceSid, Body, StatusCallback
 *   GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json
 *   GET  /2010-04-01/Accounts/{AccountSid}/Messages.json   ?To=&From=&PageSize=
 *
 * Basic auth `AccountSid:AuthToken` (the user must be the path's account; the first token an account uses is its
 * token from then on, or SIM_TWILIO_AUTH_TOKEN when set). Validation and errors like Twilio's
 * (`{code, message, more_info, status}`): 21604 no To, 21603 no From, 21602 no Body, 21211 invalid To, 21212
 * invalid From, 21910 SMS/WhatsApp mixed, 21617 body over 1600 characters, 21610 recipient replied STOP to this
 * sender, 21614 not a mobile number, 20003 bad credentials. Twilio's magic test numbers behave as documented:
 * +15005550001 invalid (21211), +15005550004 blocked (21610), +15005550009 not SMS-capable (21614).
 *
 * Accepted messages are `queued`; if `StatusCallback` was given, the simulator then POSTs `sent` and `delivered`
 * (or `undelivered` 30003 for numbers marked undeliverable, `failed` 63016 for free-form WhatsApp outside the
 * 24-hour window) to it, form-encoded and signed with `X-Twilio-Signature` (base64 HMAC-SHA1 over the URL plus the
 * sorted parameters, keyed by the account's auth token), as Twilio does.
 *
 * Test controls (besides the shared /__sim ones):
 *   POST /__sim/twilio/inbound     { from, to, body, url?, accountSid? } a customer's SMS/WhatsApp to one of our
 *                                  numbers, delivered signed to `url` (or the number's configured URL). STOP-type
 *                                  keywords opt the sender out of that number, START-type ones back in, like
 *                                  Twilio's default opt-out handling.
 *   POST /__sim/twilio/numbers     { phoneNumber, smsUrl } where inbound messages to that number go
 *   POST /__sim/twilio/fail-next   { count, status, code?, message? } the next `count` Messages API calls fail so
 *   POST /__sim/twilio/undeliverable { numbers: [...] } accepted, then `undelivered` (30003)
 *   GET  /__sim/twilio/messages    every message (outbound and inbound) and every status callback made
 */

export const TWILIO_API_VERSION = '2010-04-01';
const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
const E164 = /^\+[1-9]\d{6,14}$/;
/** Alphanumeric sender ids: up to 11 characters, letters, digits and spaces, at least one letter. */
const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;
const WHATSAPP = 'whatsapp:';
/** Twilio's standard opt-out and opt-in keywords (Advanced Opt-Out defaults). */
export const TWILIO_OPT_OUT_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'];
export const TWILIO_OPT_IN_KEYWORDS = ['START', 'YES', 'UNSTOP'];
const MAGIC_INVALID = '+15005550001';
const MAGIC_BLOCKED = '+15005550004';
const MAGIC_NOT_MOBILE = '+15005550009';
const WHATSAPP_WINDOW_MS = 24 * 3600_000;

export type TwilioMessageStatus = 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'received';

export interface SimulatedMessage {
  sid: string;
  accountSid: string;
  direction: 'outbound-api' | 'inbound';
  from: string;
  to: string;
  body: string;
  status: TwilioMessageStatus;
  errorCode: number | null;
  statusCallback: string | null;
  numSegments: number;
  dateCreated: Date;
  dateUpdated: Date;
  dateSent: Date | null;
}

export interface SimulatedCallback {
  url: string;
  params: Record<string, string>;
  signature: string;
  /** HTTP status our webhook answered (0: unreachable). */
  responseStatus: number;
  at: string;
}

export interface TwilioFailure {
  status: number;
  code: number;
  message: string;
}

export interface TwilioState extends SimulatorState {
  messages: SimulatedMessage[];
  callbacks: SimulatedCallback[];
  /** AccountSid → auth token. */
  accounts: Map<string, string>;
  /** `<recipient>|<sender>` pairs (numbers without `whatsapp:`) that replied STOP. */
  optOuts: Set<string>;
  /** Inbound message URL per number of ours. */
  numbers: Map<string, string>;
  undeliverable: Set<string>;
  /** Last inbound WhatsApp message per customer number, for the 24-hour customer-service window. */
  lastWhatsappInbound: Map<string, number>;
  failures: TwilioFailure[];
  /** Delay before each status callback (sent, then delivered). */
  callbackDelayMs: number;
  /** Whether StatusCallback URLs are called at all (benchmarks switch them off to measure the API alone). */
  statusCallbacks: boolean;
  /** Outbound messages accepted (201). */
  outbound(): SimulatedMessage[];
  failNext(count: number, failure: Partial<TwilioFailure> & { status: number }): void;
  /** Every status callback has been answered. */
  idle(): Promise<void>;
  pending: Set<Promise<unknown>>;
}

/** `X-Twilio-Signature`: base64 HMAC-SHA1(authToken, url + Σ sorted(name + value)), as twilio-node's `getExpectedTwilioSignature`. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string | string[]>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => {
      const value = params[key];
      const values = Array.isArray(value) ? [...new Set(value)].sort() : [value];
      return acc + values.map((v) => key + v).join('');
    }, url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf-8')).digest('base64');
}

const newSid = (prefix: 'SM' | 'MM') => `${prefix}${randomBytes(16).toString('hex')}`;
/** RFC 2822 as Twilio writes dates ("Tue, 03 Dec 2024 10:00:00 +0000"). */
const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000');
const bare = (address: string) => (address.startsWith(WHATSAPP) ? address.slice(WHATSAPP.length) : address);
const pairKey = (recipient: string, sender: string) => `${bare(recipient)}|${bare(sender)}`;
/** GSM-7 fits 160 characters per segment (153 when split); anything else is UCS-2 (70 / 67). */
function segments(body: string): number {
  const gsm = /^[\x20-\x7E\n\r£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉÄÖÑÜ§¿äöñüà€]*$/.test(body);
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  return body.length <= single ? 1 : Math.ceil(body.length / multi);
}

class TwilioError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function errorBody(status: number, code: number, message: string) {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

function resource(m: SimulatedMessage) {
  const uri = `/${TWILIO_API_VERSION}/Accounts/${m.accountSid}/Messages/${m.sid}.json`;
  return {
    account_sid: m.accountSid,
    api_version: TWILIO_API_VERSION,
    body: m.body,
    date_created: rfc2822(m.dateCreated),
    date_sent: m.dateSent ? rfc2822(m.dateSent) : null,
    date_updated: rfc2822(m.dateUpdated),
    direction: m.direction,
    error_code: m.errorCode,
    error_message: null,
    from: m.from,
    messaging_service_sid: null,
    num_media: '0',
    num_segments: String(m.numSegments),
    price: null,
    price_unit: 'USD',
    sid: m.sid,
    status: m.status,
    subresource_uris: { media: uri.replace(/\.json$/, '/Media.json') },
    to: m.to,
    uri,
  };
}

function createState(): TwilioState {
  const state: TwilioState = {
    messages: [],
    callbacks: [],
    accounts: new Map(),
    optOuts: new Set(),
    numbers: new Map(),
    undeliverable: new Set(),
    lastWhatsappInbound: new Map(),
    failures: [],
    callbackDelayMs: 20,
    statusCallbacks: true,
    pending: new Set(),
    outbound: () => state.messages.filter((m) => m.direction === 'outbound-api'),
    failNext: (count, failure) => {
      for (let i = 0; i < count; i++) {
        state.failures.push({
          status: failure.status,
          code: failure.code ?? (failure.status >= 400 && failure.status < 600 ? 20000 + failure.status : 20500),
          message: failure.message ?? (failure.status === 429 ? 'Too Many Requests' : 'Internal Server Error (simulated)'),
        });
      }
    },
    idle: async () => {
      while (state.pending.size) await Promise.allSettled([...state.pending]);
    },
    reset: () => {
      state.messages.length = 0;
      state.callbacks.length = 0;
      state.accounts.clear();
      state.optOuts.clear();
      state.numbers.clear();
      state.undeliverable.clear();
      state.lastWhatsappInbound.clear();
      state.failures.length = 0;
      state.callbackDelayMs = 20;
      state.statusCallbacks = true;
    },
  };
  return state;
}

/** Checks Basic auth against the path's account; returns the account's token. */
function authenticate(state: TwilioState, request: FastifyRequest, accountSid: string): string {
  const header = request.headers.authorization ?? '';
  const match = /^Basic\s+(\S+)$/i.exec(header);
  if (!match) throw new TwilioError(401, 20003, 'Authenticate');
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const token = colon < 0 ? '' : decoded.slice(colon + 1);
  if (!ACCOUNT_SID.test(user) || !token) throw new TwilioError(401, 20003, 'Authenticate');
  if (user !== accountSid) throw new TwilioError(403, 20003, 'Authenticate');
  const known = state.accounts.get(user) ?? process.env.SIM_TWILIO_AUTH_TOKEN;
  if (known === undefined) state.accounts.set(user, token);
  else {
    const a = Buffer.from(known);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw new TwilioError(401, 20003, 'Authenticate');
    state.accounts.set(user, known);
  }
  return state.accounts.get(user)!;
}

const str = (v: unknown): string | undefined => (Array.isArray(v) ? str(v[0]) : typeof v === 'string' ? v : undefined);

function validate(state: TwilioState, form: Record<string, unknown>) {
  const to = str(form.To)?.trim();
  const from = str(form.From)?.trim();
  const serviceSid = str(form.MessagingServiceSid)?.trim();
  const body = str(form.Body) ?? '';
  const contentSid = str(form.ContentSid);
  const statusCallback = str(form.StatusCallback) ?? null;
  if (!to) throw new TwilioError(400, 21604, "A 'To' phone number is required.");
  if (!from && !serviceSid) throw new TwilioError(400, 21603, "A 'From' phone number is required.");
  if (!body && !contentSid && !form.MediaUrl) throw new TwilioError(400, 21602, 'Message body is required.');
  const whatsappTo = to.startsWith(WHATSAPP);
  const sender = from ?? '';
  if (from && whatsappTo !== sender.startsWith(WHATSAPP)) {
    throw new TwilioError(400, 21910, 'Invalid From and To pair. From and To should be of the same channel.');
  }
  if (!E164.test(bare(to)) || bare(to) === MAGIC_INVALID) throw new TwilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
  if (from && !(E164.test(bare(from)) || (!whatsappTo && ALPHANUMERIC_SENDER.test(from)))) {
    throw new TwilioError(400, 21212, `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`);
  }
  if (body.length > 1600) throw new TwilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
  if (bare(to) === MAGIC_NOT_MOBILE) throw new TwilioError(400, 21614, `'To' number ${to} is not a valid mobile number`);
  if (bare(to) === MAGIC_BLOCKED || state.optOuts.has(pairKey(to, sender || serviceSid!))) {
    throw new TwilioError(400, 21610, 'Attempt to send to unsubscribed recipient');
  }
  if (statusCallback !== null && !/^https?:\/\//.test(statusCallback)) {
    throw new TwilioError(400, 21609, `The StatusCallback URL ${statusCallback} is not a valid URL.`);
  }
  return { to, from: from ?? serviceSid!, body, statusCallback, whatsapp: whatsappTo };
}

async function postSigned(state: TwilioState, url: string, params: Record<string, string>, authToken: string) {
  const signature = twilioSignature(authToken, url, params);
  let responseStatus = 0;
  let responseBody = '';
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        'x-twilio-signature': signature,
        'i-twilio-idempotency-token': randomBytes(16).toString('hex'),
        'user-agent': 'TwilioProxy/1.1',
      },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(15_000),
    });
    responseStatus = res.status;
    responseBody = await res.text();
  } catch {
    responseStatus = 0;
  }
  state.callbacks.push({ url, params, signature, responseStatus, at: new Date().toISOString() });
  return { status: responseStatus, body: responseBody };
}

/** Moves an accepted message on (sent → delivered, or to its failure) and reports each step to its StatusCallback. */
function deliver(state: TwilioState, message: SimulatedMessage, authToken: string, whatsapp: boolean) {
  if (!state.statusCallbacks) return;
  const steps: { status: TwilioMessageStatus; errorCode: number | null }[] = [{ status: 'sent', errorCode: null }];
  const outsideWindow = whatsapp && Date.now() - (state.lastWhatsappInbound.get(bare(message.to)) ?? 0) > WHATSAPP_WINDOW_MS;
  if (outsideWindow) steps.splice(0, 1, { status: 'failed', errorCode: 63016 });
  else if (state.undeliverable.has(bare(message.to))) steps.push({ status: 'undelivered', errorCode: 30003 });
  else steps.push({ status: 'delivered', errorCode: null });
  const run = (async () => {
    for (const step of steps) {
      await new Promise((r) => setTimeout(r, state.callbackDelayMs));
      message.status = step.status;
      message.errorCode = step.errorCode;
      message.dateUpdated = new Date();
      if (step.status === 'sent') message.dateSent = message.dateUpdated;
      if (!message.statusCallback) continue;
      const params: Record<string, string> = {
        AccountSid: message.accountSid,
        ApiVersion: TWILIO_API_VERSION,
        From: message.from,
        MessageSid: message.sid,
        MessageStatus: step.status,
        SmsSid: message.sid,
        SmsStatus: step.status,
        To: message.to,
      };
      if (step.errorCode !== null) params.ErrorCode = String(step.errorCode);
      await postSigned(state, message.statusCallback, params, authToken);
    }
  })();
  state.pending.add(run);
  void run.finally(() => state.pending.delete(run));
}

const inboundSchema = z.object({
  from: z.string().min(1),
  to: z.string().min(1),
  body: z.string(),
  url: z.url().optional(),
  accountSid: z.string().regex(ACCOUNT_SID).optional(),
});

export const twilioSimulator: Simulator<TwilioState> = {
  name: 'twilio',
  defaultPort: 4040,
  createState,
  register: (app: FastifyInstance, state: TwilioState) => {
    const fail = (reply: FastifyReply, error: unknown) => {
      if (error instanceof TwilioError) return reply.code(error.status).send(errorBody(error.status, error.code, error.message));
      throw error;
    };
    const base = `/${TWILIO_API_VERSION}/Accounts/:accountSid`;

    app.post<{ Params: { accountSid: string } }>(`${base}/Messages.json`, async (request, reply) => {
      try {
        const token = authenticate(state, request, request.params.accountSid);
        const failure = state.failures.shift();
        if (failure) throw new TwilioError(failure.status, failure.code, failure.message);
        const form = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
        const v = validate(state, form);
        const now = new Date();
        const message: SimulatedMessage = {
          sid: newSid('SM'),
          accountSid: request.params.accountSid,
          direction: 'outbound-api',
          from: v.from,
          to: v.to,
          body: v.body,
          status: 'queued',
          errorCode: null,
          statusCallback: v.statusCallback,
          numSegments: segments(v.body),
          dateCreated: now,
          dateUpdated: now,
          dateSent: null,
        };
        state.messages.push(message);
        const answer = resource(message);
        deliver(state, message, token, v.whatsapp);
        return reply.code(201).send(answer);
      } catch (error) {
        return fail(reply, error);
      }
    });

    app.get<{ Params: { accountSid: string; sid: string } }>(`${base}/Messages/:sid`, async (request, reply) => {
      try {
        authenticate(state, request, request.params.accountSid);
        const sid = request.params.sid.replace(/\.json$/, '');
        const m = state.messages.find((x) => x.sid === sid && x.accountSid === request.params.accountSid);
        if (!m) throw new TwilioError(404, 20404, `The requested resource /${TWILIO_API_VERSION}/Accounts/${request.params.accountSid}/Messages/${sid}.json was not found`);
        return resource(m);
      } catch (error) {
        return fail(reply, error);
      }
    });

    app.get<{ Params: { accountSid: string }; Querystring: Record<string, string> }>(`${base}/Messages.json`, async (request, reply) => {
      try {
        authenticate(state, request, request.params.accountSid);
        const q = request.query;
        const pageSize = Math.min(Number(q.PageSize ?? 50) || 50, 1000);
        const list = state.messages
          .filter((m) => m.accountSid === request.params.accountSid && (!q.To || m.to === q.To) && (!q.From || m.from === q.From))
          .reverse()
          .slice(0, pageSize);
        const uri = `/${TWILIO_API_VERSION}/Accounts/${request.params.accountSid}/Messages.json?PageSize=${pageSize}&Page=0`;
        return { messages: list.map(resource), end: list.length - 1, first_page_uri: uri, next_page_uri: null, page: 0, page_size: pageSize, previous_page_uri: null, start: 0, uri };
      } catch (error) {
        return fail(reply, error);
      }
    });

    // --- test controls ---
    const control = `${CONTROL_PREFIX}/twilio`;
    app.post(`${control}/inbound`, async (request, reply) => {
      const parsed = inboundSchema.safeParse(request.body);
      if (!parsed.success) return reply.code(400).send({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      const { from, to, body } = parsed.data;
      const url = parsed.data.url ?? state.numbers.get(bare(to)) ?? process.env.SIM_TWILIO_INBOUND_URL;
      if (!url) return reply.code(400).send({ error: `url: no inbound URL configured for ${to}` });
      const accountSid = parsed.data.accountSid ?? [...state.accounts.keys()][0];
      const token = accountSid ? (state.accounts.get(accountSid) ?? process.env.SIM_TWILIO_AUTH_TOKEN) : undefined;
      if (!accountSid || !token) return reply.code(400).send({ error: 'accountSid: unknown account (send a message with it first or set SIM_TWILIO_AUTH_TOKEN)' });
      const keyword = body.trim().toUpperCase();
      if (TWILIO_OPT_OUT_KEYWORDS.includes(keyword)) state.optOuts.add(pairKey(from, to));
      if (TWILIO_OPT_IN_KEYWORDS.includes(keyword)) state.optOuts.delete(pairKey(from, to));
      if (from.startsWith(WHATSAPP)) state.lastWhatsappInbound.set(bare(from), Date.now());
      const now = new Date();
      const message: SimulatedMessage = {
        sid: newSid('SM'),
        accountSid,
        direction: 'inbound',
        from,
        to,
        body,
        status: 'received',
        errorCode: null,
        statusCallback: null,
        numSegments: segments(body),
        dateCreated: now,
        dateUpdated: now,
        dateSent: now,
      };
      state.messages.push(message);
      const params: Record<string, string> = {
        AccountSid: accountSid,
        ApiVersion: TWILIO_API_VERSION,
        Body: body,
        From: from,
        MessageSid: message.sid,
        NumMedia: '0',
        NumSegments: String(message.numSegments),
        SmsMessageSid: message.sid,
        SmsSid: message.sid,
        SmsStatus: 'received',
        To: to,
      };
      if (TWILIO_OPT_OUT_KEYWORDS.includes(keyword)) params.OptOutType = 'STOP';
      if (TWILIO_OPT_IN_KEYWORDS.includes(keyword)) params.OptOutType = 'START';
      const answer = await postSigned(state, url, params, token);
      return { messageSid: message.sid, url, status: answer.status, body: answer.body };
    });
    app.post(`${control}/numbers`, async (request, reply) => {
      const parsed = z.object({ phoneNumber: z.string().regex(E164), smsUrl: z.url() }).safeParse(request.body);
      if (!parsed.success) return reply.code(400).send({ error: 'body must be { phoneNumber: E.164, smsUrl: URL }' });
      state.numbers.set(parsed.data.phoneNumber, parsed.data.smsUrl);
      return parsed.data;
    });
    app.post(`${control}/fail-next`, async (request, reply) => {
      const parsed = z
        .object({ count: z.number().int().min(1).max(1000).default(1), status: z.number().int().min(400).max(599), code: z.number().int().optional(), message: z.string().optional() })
        .safeParse(request.body);
      if (!parsed.success) return reply.code(400).send({ error: 'body must be { count?, status: 400-599, code?, message? }' });
      state.failNext(parsed.data.count, parsed.data);
      return { queued: state.failures.length };
    });
    app.post(`${control}/undeliverable`, async (request, reply) => {
      const parsed = z.object({ numbers: z.array(z.string().regex(E164)) }).safeParse(request.body);
      if (!parsed.success) return reply.code(400).send({ error: 'body must be { numbers: [E.164, …] }' });
      for (const n of parsed.data.numbers) state.undeliverable.add(n);
      return { undeliverable: [...state.undeliverable] };
    });
    app.get(`${control}/messages`, async () => ({
      messages: state.messages.map(resource),
      callbacks: state.callbacks,
    }));
  },
  error: (statusCode, message, request) => {
    const code = 20000 + statusCode;
    return {
      statusCode,
      body: errorBody(statusCode, code, statusCode === 404 ? `The requested resource ${request.url.split('?')[0]} was not found` : message),
    };
  },
};
