import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../platform/launch';
import { audit, AuditResult, DeadLetterRecord, deadLetters } from './checks';
import { Fault, FaultContext, NOT_MADE } from './faults';
import { Load } from './load';
import { FaultPlatform } from './platform';

/** One row of the recovery table. */
export interface RecoveryRow {
  fault: string;
  /** How long the fault lasted (made → undone), seconds. */
  lastedS: number;
  /** From the fault's end to the first voice function answered successfully. */
  firstSuccessS: number | null;
  /** From the fault's end until every effect owed so far was visible (the backlog drained). */
  drainedS: number | null;
  refused: number;
  fallback: number;
  losses: number;
  doubles: number;
}

export interface SuiteResult {
  rows: RecoveryRow[];
  final: AuditResult;
  deadLetters: DeadLetterRecord[];
  ctx: FaultContext;
  calls: number;
  requests: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => Math.round(ms / 100) / 10;

async function untilDrained(p: FaultPlatform, load: Load, upTo: number, timeoutMs: number): Promise<{ at: number | null; last: AuditResult }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const owed = load.calls.filter((c) => c.endedAt <= upTo);
    const last = await audit(p, load, owed).catch((e: Error) => ({ missing: [`audit failed: ${e.message}`], doubles: [], counts: {} }));
    if (last.missing.length === 0) return { at: Date.now(), last };
    if (Date.now() > deadline) return { at: null, last };
    await sleep(2000);
  }
}

/**
 * Starts the platform and the load, makes each fault in turn and measures the recovery, then stops the load, lets
 * everything settle and audits the whole run from the outside. The platform is left running for the caller's
 * assertions and stopped by `stop()`.
 */
export async function runFaults(
  p: FaultPlatform,
  faults: Fault[],
  log: (line: string) => void = () => undefined,
  loadOptions?: ConstructorParameters<typeof Load>[1],
): Promise<SuiteResult> {
  const load = new Load(p, loadOptions);
  const ctx: FaultContext = { poison: [], hostile: { sent: 0, refused: 0 } };
  // A balance to start from, so calls are accepted whatever the top-ups under fault do.
  await load.topUp();
  load.start();
  // A steady state before the first fault.
  const warm = Date.now() + 90_000;
  while (load.firstSuccessAfter(0) === undefined && Date.now() < warm) await sleep(500);
  const rows: RecoveryRow[] = [];
  for (const fault of faults) {
    const startedAt = Date.now();
    log(`[faults] ${fault.name} …`);
    await fault.run(p, load, ctx);
    const endedAt = Date.now();
    let first: number | undefined;
    const firstDeadline = Date.now() + 120_000;
    while ((first = load.firstSuccessAfter(endedAt)) === undefined && Date.now() < firstDeadline) await sleep(250);
    const drained = await untilDrained(p, load, first ?? Date.now(), 150_000);
    const during = load.between(startedAt, first ?? Date.now());
    const row: RecoveryRow = {
      fault: fault.name,
      lastedS: seconds(endedAt - startedAt),
      firstSuccessS: first === undefined ? null : seconds(Math.max(0, first - endedAt)),
      drainedS: drained.at === null ? null : seconds(drained.at - endedAt),
      refused: during.filter((a) => a.outcome === 'refused').length,
      fallback: during.filter((a) => a.outcome === 'fallback').length,
      losses: drained.last.missing.length,
      doubles: drained.last.doubles.length,
    };
    rows.push(row);
    log(`[faults]   ${JSON.stringify(row)}${drained.last.missing.length ? ` missing: ${drained.last.missing.slice(0, 5).join('; ')}` : ''}${drained.last.doubles.length ? ` doubles: ${drained.last.doubles.slice(0, 5).join('; ')}` : ''}`);
  }
  await load.stop();
  const settled = await untilDrained(p, load, Date.now(), 180_000);
  return { rows, final: settled.last, deadLetters: await deadLetters(p), ctx, calls: load.calls.length, requests: load.attempts.length };
}

const cell = (v: number | null) => (v === null ? 'never' : String(v));

/** The recovery table as Markdown (printed by the suite, kept in docs/operations.md). */
export function recoveryTable(result: SuiteResult, title: string): string {
  const lines = [
    `${title}: ${result.calls} calls, ${result.requests} requests; ${result.final.missing.length} missing and ${result.final.doubles.length} double effects after settling; ` +
      `${result.final.counts.unheardCallbacks ?? 0} callback requests beyond the promises callers heard; ` +
      `dead letters: ${result.deadLetters.length} (${result.deadLetters.map((d) => `${d.topic} from ${d.group ?? '?'}: ${d.reason ?? 'no reason'}`).join('; ') || 'none'}).`,
    '',
    '| fault | lasted s | to first success s | to backlog drained s | refused | spoken fallback | losses | doubles |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...result.rows.map((r) => `| ${r.fault} | ${r.lastedS} | ${cell(r.firstSuccessS)} | ${cell(r.drainedS)} | ${r.refused} | ${r.fallback} | ${r.losses} | ${r.doubles} |`),
    '',
    'Not made on these machines:',
    ...NOT_MADE.map((n) => `- ${n.fault}: ${n.reason}`),
  ];
  return lines.join('\n');
}

const START = '<!-- faults:table:start -->';
const END = '<!-- faults:table:end -->';

/** Replaces the table between the markers in docs/operations.md with the latest one. */
export function keepTable(table: string, when = new Date()): void {
  const file = path.join(ROOT, 'docs/operations.md');
  const doc = fs.readFileSync(file, 'utf8');
  const block = `${START}\nLatest full run (\`npm run test:faults\`, ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC):\n\n${table}\n${END}`;
  const i = doc.indexOf(START);
  const j = doc.indexOf(END);
  fs.writeFileSync(file, i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + END.length) : `${doc.trimEnd()}\n\n${block}\n`);
}

/** Every broken promise of the run, in words; empty when nothing was lost, doubled or dead-lettered wrongly. */
export function violations(result: SuiteResult): string[] {
  const out = [...result.final.missing.map((m) => `lost: ${m}`), ...result.final.doubles.map((d) => `double: ${d}`)];
  for (const r of result.rows) if (r.firstSuccessS === null) out.push(`never recovered: ${r.fault}`);
  // Dead-letter topics hold the poison message and nothing else, each with the reason it was given up on.
  for (const d of result.deadLetters) {
    const poison = result.ctx.poison.find((marker) => d.value.includes(marker));
    if (!poison) out.push(`unexpected dead letter on ${d.topic}: ${d.value.slice(0, 200)} (${d.reason ?? 'no reason'})`);
    else if (!d.reason) out.push(`dead letter ${poison} on ${d.topic} without a reason`);
  }
  // Once per consumer group that reads the topic (each gives up on its own), and at least once.
  for (const marker of result.ctx.poison) {
    const letters = result.deadLetters.filter((d) => d.value.includes(marker));
    const groups = new Set(letters.map((d) => d.group));
    if (letters.length === 0) out.push(`poison message ${marker}: not dead-lettered`);
    if (groups.size !== letters.length || groups.has(undefined)) out.push(`poison message ${marker}: ${letters.length} dead letters from ${groups.size} consumer groups`);
  }
  if (result.ctx.hostile.refused !== result.ctx.hostile.sent) out.push(`hostile requests: ${result.ctx.hostile.sent - result.ctx.hostile.refused} of ${result.ctx.hostile.sent} accepted`);
  return out;
}
