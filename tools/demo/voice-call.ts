/**
 * The platform's main job, shown end to end: a caller phones the demo salon, the agent (played by the Retell
 * simulator, signing every request as Retell does) checks availability and books; then we follow what the rest of
 * the platform did with it — the booking in Cal.com, the call record, the bill for the talk time and the
 * confirmation text message.
 *
 *   npm run demo:call            (npm start runs it once the platform is up)
 *
 * Environment: GATEWAY_URL (http://127.0.0.1:3000), SIM_RETELL_URL (http://127.0.0.1:4020), SIM_CALCOM_URL,
 * SIM_TWILIO_URL, PLATFORM_ADMIN_EMAIL / PLATFORM_ADMIN_PASSWORD (the local admin of npm start by default),
 * DEMO_CALLER (+491701234567). Exit code 0 when the appointment was booked, 1 otherwise.
 */
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';

const ROOT = path.resolve(__dirname, '../..');
const GATEWAY = process.env.GATEWAY_URL ?? 'http://127.0.0.1:3000';
const RETELL = process.env.SIM_RETELL_URL ?? 'http://127.0.0.1:4020';
const CALCOM = process.env.SIM_CALCOM_URL ?? 'http://127.0.0.1:4010';
const TWILIO = process.env.SIM_TWILIO_URL ?? 'http://127.0.0.1:4040';
const ADMIN = {
  email: process.env.PLATFORM_ADMIN_EMAIL || 'admin@receptionist.local',
  password: process.env.PLATFORM_ADMIN_PASSWORD || 'local demo admin password',
};
const CALLER = process.env.DEMO_CALLER ?? '+491701234567';
const DEMO_FILE = process.env.DEMO_COMPANY && process.env.DEMO_COMPANY !== 'off' ? process.env.DEMO_COMPANY : path.join(ROOT, 'deploy/demo/company.yaml');

export interface DemoCallResult {
  booked: boolean;
  appointmentId?: string;
  callId?: string;
  lines: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) }, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}

/** Polls `probe` until it returns something (or the time is up): the platform works asynchronously after the call. */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined || Date.now() > until) return value;
    await sleep(500);
  }
}

/** The next day the salon is open (from its opening hours), at least two days ahead, as dd.mm.yyyy. */
function nextOpenDay(openingHours: Record<string, unknown>): string {
  const names = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
  const d = new Date(Date.now() + 2 * 86400000);
  for (let i = 0; i < 14 && !(names[d.getUTCDay()] in openingHours); i++) d.setUTCDate(d.getUTCDate() + 1);
  return `${String(d.getUTCDate()).padStart(2, '0')}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${d.getUTCFullYear()}`;
}

export async function runDemoCall(print: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<DemoCallResult> {
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    print(line);
  };
  const doc = yaml.load(fs.readFileSync(DEMO_FILE, 'utf8')) as any;
  const agentId: string = doc.retellAgents[0].agentId;
  const number: string = doc.phoneNumbers[0].number.replace(/[^\d+]/g, '');
  const service: string = doc.services[0].name;
  const day = nextOpenDay(doc.openingHours ?? {});

  // Messages the caller had before this call: a repeated demo call reports its own confirmation, not an earlier one.
  const earlier = new Set(((await json(`${TWILIO}/__sim/twilio/messages`)).body?.messages ?? []).map((m: any) => m.sid));
  say(`\nDemo call: ${CALLER} phones ${doc.company.name} (${number}) and asks for "${service}" on ${day} around 11:00.`);
  const placed = await json(`${RETELL}/__sim/retell/calls`, {
    method: 'POST',
    body: JSON.stringify({
      agentId,
      fromNumber: CALLER,
      toNumber: number,
      baseUrl: GATEWAY,
      durationMs: 95_000, // how long the simulated caller stays on the line (billed by the second)
      steps: [
        { name: 'check_availability', args: { dienstleistung: service, datum: day, uhrzeit: '11:00' } },
        // the agent books the first time offered, as its LLM would from the reply
        { name: 'book_appointment', args: { name: 'Erika Mustermann', email: 'erika@example.com', dienstleistung: service, datetime: '{{steps.0.data.options.0.start}}' } },
      ],
    }),
  });
  if (placed.status !== 200) {
    say(`  the Retell simulator refused the call: ${placed.status} ${JSON.stringify(placed.body)}`);
    return { booked: false, lines };
  }
  const call = placed.body;
  const greeting = call.inbound?.body?.call_inbound?.dynamic_variables;
  say(`  ringing → gateway answered the inbound webhook (${call.inbound.status}); agent knows: ${greeting ? `${greeting.company_name}, ${greeting.current_weekday} ${greeting.current_date} ${greeting.current_time}` : 'nothing'}`);
  for (const step of call.steps) say(`  ${step.name.padEnd(20)} ${String(step.status).padEnd(4)} ${String(step.latencyMs).padStart(4)} ms  agent says: "${step.body?.message ?? JSON.stringify(step.body)}"`);
  const booking = call.steps[1]?.body;
  const appointmentId: string | undefined = booking?.data?.appointmentId;
  if (!booking?.success || !booking?.data?.booked) {
    say('  → no appointment was booked.');
    return { booked: false, callId: call.call?.call_id, lines };
  }
  say(`  → booked: appointment ${appointmentId}`);

  // What the rest of the platform made of it.
  const calcom = await eventually(async () => {
    const res = await json(`${CALCOM}/__sim/calcom/bookings`);
    return (res.body?.bookings ?? []).find((b: any) => b.status === 'accepted' && b.metadata?.appointmentId === appointmentId);
  }, 5_000);
  say(`  Cal.com      ${calcom ? `booking ${calcom.uid} ${calcom.start} (${calcom.title ?? calcom.eventTypeId})` : 'not found in the simulator'}`);

  const login = await json(`${GATEWAY}/api/v1/auth/login`, { method: 'POST', body: JSON.stringify(ADMIN) });
  const token = login.body?.token;
  const auth = { authorization: `Bearer ${token}` };
  const companies = token ? await json(`${GATEWAY}/api/v1/companies`, { headers: auth }) : undefined;
  const company = companies?.body?.data?.find((c: any) => c.name === doc.company.name);
  if (company) {
    const record = await eventually(async () => {
      const res = await json(`${GATEWAY}/api/v1/companies/${company.id}/calls/${call.call.call_id}`, { headers: auth });
      return res.status === 200 && res.body?.endedAt ? res.body : undefined;
    });
    say(`  call record ${record ? `${record.durationSeconds ?? '?'} s, outcome ${record.outcome}, ${record.transcript ? 'transcript kept' : 'no transcript'}, recording ${record.recording?.status ?? 'n/a'}` : 'not (yet) recorded'}`);
    const billed = await eventually(async () => {
      const res = await json(`${GATEWAY}/api/v1/companies/${company.id}/billing/ledger`, { headers: auth });
      if (res.status === 404) return null;
      const entries = (res.body?.data ?? []).filter((e: any) => JSON.stringify(e).includes(call.call.call_id));
      return entries.length ? entries : undefined;
    }, 15_000);
    const money = (minor: number, currency: string) => `${(minor / 100).toFixed(2)} ${currency}`;
    say(
      `  billing     ${
        billed
          ? billed.map((e: any) => `${e.kind} ${money(e.amountMinor ?? e.amount, e.currency ?? '')}`).join(', ') + ' debited from the prepaid balance'
          : billed === null
            ? 'no billing API'
            : 'no ledger entry yet'
      }`,
    );
  } else {
    say('  (could not sign in to the admin API to follow the call)');
  }
  const sms = await eventually(async () => {
    const res = await json(`${TWILIO}/__sim/twilio/messages`);
    if (res.status === 404) return null;
    return (res.body?.messages ?? []).find((m: any) => !earlier.has(m.sid) && (m.to ?? m.To ?? '').includes(CALLER) && /Termin|appointment/i.test(m.body ?? m.Body ?? ''));
  }, 15_000);
  say(`  confirmation ${sms ? `${sms.channel ?? 'sms'} to ${sms.to ?? sms.To}: "${sms.body ?? sms.Body}"` : sms === null ? 'no message simulator yet' : 'no message yet'}`);
  return { booked: true, appointmentId, callId: call.call.call_id, lines };
}

if (require.main === module) {
  runDemoCall().then(
    (r) => process.exit(r.booked ? 0 : 1),
    (error: unknown) => {
      process.stderr.write(`[demo] ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
