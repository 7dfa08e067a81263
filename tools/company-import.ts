/**
 * Onboarding from the command line: `npm run company:import -- deploy/demo/company.yaml [--wait 30] [--resend]`.
 *
 * Sends the file (YAML or JSON, by its extension) to the gateway's `POST /api/v1/companies/import?wait=…` and
 * prints what happened to the company, its routing and each part (booking, billing, notification).
 * Environment: `GATEWAY_URL` (default http://127.0.0.1:3000), and either `GATEWAY_TOKEN` (a personal access token
 * with `companies.create`) or `PLATFORM_ADMIN_EMAIL` + `PLATFORM_ADMIN_PASSWORD` (signs in for a token).
 * Exit codes: 0 every part applied, 2 imported but a part still pending after the wait, 1 refused or failed.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface CompanyImportOptions {
  file: string;
  gatewayUrl?: string;
  token?: string;
  email?: string;
  password?: string;
  /** Seconds the gateway waits for every part to be applied (max 30). */
  waitSeconds?: number;
  resend?: boolean;
  /** Where the report goes (stdout by default). */
  print?: (line: string) => void;
}

export interface CompanyImportOutcome {
  exitCode: 0 | 1 | 2;
  status?: number;
  body?: any;
}

const CONTENT_TYPES: Record<string, string> = { '.yaml': 'application/yaml', '.yml': 'application/yaml', '.json': 'application/json' };

async function readJson(res: Response): Promise<any> {
  const text = await res.text();
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

async function signIn(base: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = await readJson(res);
  if (res.status !== 200 || typeof body?.token !== 'string') throw new Error(`sign-in as ${email} failed (HTTP ${res.status}${body?.message ? `: ${body.message}` : ''})`);
  return body.token;
}

/** Imports one file; never throws for an answer of the gateway, only reports it. */
export async function runCompanyImport(o: CompanyImportOptions): Promise<CompanyImportOutcome> {
  const print = o.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const base = (o.gatewayUrl ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  const contentType = CONTENT_TYPES[path.extname(o.file).toLowerCase()];
  if (!contentType) {
    print(`[company:import] ${o.file}: the file name must end in .yaml, .yml or .json`);
    return { exitCode: 1 };
  }
  let text: string;
  try {
    text = fs.readFileSync(o.file, 'utf8');
  } catch (error) {
    print(`[company:import] cannot read ${o.file}: ${(error as Error).message}`);
    return { exitCode: 1 };
  }
  try {
    let token = o.token;
    if (!token) {
      if (!o.email || !o.password) {
        print('[company:import] set GATEWAY_TOKEN, or PLATFORM_ADMIN_EMAIL and PLATFORM_ADMIN_PASSWORD');
        return { exitCode: 1 };
      }
      token = await signIn(base, o.email, o.password);
    }
    const wait = Math.max(0, Math.min(30, Math.floor(o.waitSeconds ?? 30)));
    const res = await fetch(`${base}/api/v1/companies/import?wait=${wait}${o.resend ? '&resend=true' : ''}`, {
      method: 'POST',
      headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
      body: text,
    });
    const body = await readJson(res);
    if (res.status !== 200 && res.status !== 202) {
      print(`[company:import] ${path.basename(o.file)} refused: HTTP ${res.status} ${body?.message ?? ''}`.trimEnd());
      return { exitCode: 1, status: res.status, body };
    }
    const r = body;
    print(`[company:import] ${path.basename(o.file)} → company ${r.key} (${r.companyId}): ${r.company}`);
    for (const [name, c] of Object.entries(r.routing as Record<string, { created: number; updated: number; removed: number; unchanged: number }>)) {
      print(`  ${name.padEnd(13)} ${c.created} created, ${c.updated} updated, ${c.removed} removed, ${c.unchanged} unchanged`);
    }
    for (const [part, p] of Object.entries(r.parts as Record<string, { change: string; status: string; revision: string; outcome: string | null }>)) {
      print(`  ${part.padEnd(13)} ${p.change === 'sent' ? 'sent' : 'unchanged'} rev ${p.revision.slice(0, 12)}: ${p.status}${p.outcome ? ` (${p.outcome})` : ''}`);
    }
    if (r.applied) {
      print('[company:import] every part applied');
      return { exitCode: 0, status: res.status, body };
    }
    print(`[company:import] still pending after ${wait} s: ${r.pending.join(', ')} (GET /api/v1/companies/${r.companyId}/setup shows progress)`);
    return { exitCode: 2, status: res.status, body };
  } catch (error) {
    print(`[company:import] failed: ${(error as Error).message}`);
    return { exitCode: 1 };
  }
}

function parseArgs(argv: string[]): { file?: string; wait?: number; resend: boolean; error?: string } {
  const out: { file?: string; wait?: number; resend: boolean; error?: string } = { resend: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--resend') out.resend = true;
    else if (a === '--wait' || a.startsWith('--wait=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!/^\d+$/.test(v ?? '') || Number(v) > 30) out.error = '--wait takes whole seconds from 0 to 30';
      else out.wait = Number(v);
    } else if (a.startsWith('-')) out.error = `unknown option ${a}`;
    else if (out.file) out.error = 'one file at a time';
    else out.file = a;
  }
  if (!out.file && !out.error) out.error = 'which file? usage: npm run company:import -- <file.yaml|file.json> [--wait 30] [--resend]';
  return out;
}

if (require.main === module) {
  const args = parseArgs(process.argv.slice(2));
  if (args.error) {
    process.stderr.write(`[company:import] ${args.error}\n`);
    process.exit(1);
  }
  const env = (k: string) => (process.env[k] === '' ? undefined : process.env[k]);
  void runCompanyImport({
    file: args.file!,
    gatewayUrl: env('GATEWAY_URL'),
    token: env('GATEWAY_TOKEN'),
    email: env('PLATFORM_ADMIN_EMAIL'),
    password: env('PLATFORM_ADMIN_PASSWORD'),
    waitSeconds: args.wait,
    resend: args.resend,
  }).then((r) => process.exit(r.exitCode));
}
