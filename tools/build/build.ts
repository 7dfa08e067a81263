/**
 * `npm run build` (and the image build, deploy/docker/Dockerfile): compiles apps/, libs/ and tools/ to dist/ with
 * swc, using .swcrc plus the path aliases of tsconfig.base.json (swc-options.ts), then fails if any compiled file
 * still requires an `@receptionist/*` alias, since nothing resolves those at run time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UNRESOLVED_ALIAS, swcOptions } from './swc-options';

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => join(e.parentPath, e.name));
}

function main(): void {
  const root = resolve(__dirname, '../..');
  const out = process.argv[2] ?? 'dist';
  const scratch = mkdtempSync(join(tmpdir(), 'receptionist-swc-'));
  const config = join(scratch, 'swcrc.json');
  writeFileSync(config, JSON.stringify(swcOptions(root)));
  const swc = require.resolve('@swc/cli/bin/swc.js');
  const args = [swc, 'apps', 'libs', 'tools', '-d', out, '-q', '--copy-files', '--config-file', config];
  const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  rmSync(scratch, { recursive: true, force: true });
  if (run.status !== 0) process.exit(run.status ?? 1);
  const unresolved = jsFiles(resolve(root, out)).filter((f) => UNRESOLVED_ALIAS.test(readFileSync(f, 'utf8')));
  if (unresolved.length) {
    process.stderr.write(`[build] unresolved @receptionist/* requires (add the lib to tsconfig.base.json paths):\n  ${unresolved.join('\n  ')}\n`);
    process.exit(1);
  }
  process.stdout.write(`[build] ${out}/ compiled\n`);
}

main();
