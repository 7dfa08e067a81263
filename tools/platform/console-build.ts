import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './launch';

const SOURCES = ['apps/console/src', 'apps/console/public', 'apps/console/index.html', 'apps/console/vite.config.mts'];
export const CONSOLE_BUILD = path.join(ROOT, 'dist/console');

function newest(p: string): number {
  const full = path.join(ROOT, p);
  if (!fs.existsSync(full)) return 0;
  const stat = fs.statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...fs.readdirSync(full).map((name) => newest(path.join(p, name))));
}

/**
 * Builds the web console (apps/console → dist/console, which the gateway serves) when there is no build or a
 * source file is newer than it. Answers what it did, for the start-up summary.
 */
export function ensureConsoleBuilt(): string {
  const index = path.join(CONSOLE_BUILD, 'index.html');
  const builtAt = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  if (builtAt && Math.max(...SOURCES.map(newest)) <= builtAt) return 'up to date';
  const t0 = Date.now();
  const result = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'apps/console/vite.config.mts', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
  });
  if (result.status !== 0) throw new Error(`building the console failed (exit ${result.status})`);
  return `built in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
}
