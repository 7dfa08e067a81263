import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The swc options of `npm run build` and the image build: `.swcrc` (decorators, target) plus the
 * `@receptionist/*` path aliases of `tsconfig.base.json`, the one list of libs. Read from there so adding a lib
 * can never leave `require("@receptionist/…")` in `dist/` (swc rewrites each alias to a relative require).
 */
export function swcOptions(root: string): Record<string, unknown> {
  const swcrc = JSON.parse(readFileSync(join(root, '.swcrc'), 'utf8')) as { jsc?: Record<string, unknown> };
  const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8')) as {
    compilerOptions: { baseUrl?: string; paths: Record<string, string[]> };
  };
  const { baseUrl = '.', paths } = tsconfig.compilerOptions;
  return {
    ...swcrc,
    jsc: { ...swcrc.jsc, baseUrl: resolve(root, baseUrl), paths },
  };
}

/** Files under dist/ that still require an alias: empty when every alias was rewritten. */
export const UNRESOLVED_ALIAS = /require\(["']@receptionist\//;
