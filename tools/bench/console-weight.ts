/**
 * What a browser downloads for the first page of the console and of the portal: the entry script, the app's chunk
 * and what it imports statically, and the stylesheet — as the gateway serves them (gzip and brotli, the bodies
 * apps/gateway/src/console compresses once per file), plus index.html. Reads Vite's manifest of the build.
 *
 *   npm run console:build && node -r @swc-node/register tools/bench/console-weight.ts
 *
 * Target (issue 17): JavaScript for the first page < 250 KB gzip.
 */
import fs from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const DIST = path.resolve(__dirname, '../../dist/console');

interface Chunk {
  file: string;
  imports?: string[];
  css?: string[];
}

export interface ConsoleWeight {
  page: string;
  files: string[];
  jsRaw: number;
  jsGzip: number;
  jsBrotli: number;
  cssGzip: number;
  htmlGzip: number;
}

function sizes(file: string) {
  const body = fs.readFileSync(path.join(DIST, file));
  return { raw: body.length, gzip: gzipSync(body, { level: 9 }).length, br: brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length };
}

export function measure(page: 'console' | 'portal'): ConsoleWeight {
  const manifest = JSON.parse(fs.readFileSync(path.join(DIST, '.vite/manifest.json'), 'utf8')) as Record<string, Chunk>;
  const app = page === 'console' ? 'src/console/ConsoleApp.tsx' : 'src/portal/PortalApp.tsx';
  const seen = new Set<string>();
  const css = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const c of manifest[key].css ?? []) css.add(c);
    for (const i of manifest[key].imports ?? []) visit(i);
  };
  visit('index.html');
  visit(app);
  const js = [...seen].map((k) => manifest[k].file);
  const total = (files: string[], pick: 'raw' | 'gzip' | 'br') => files.reduce((n, f) => n + sizes(f)[pick], 0);
  return {
    page,
    files: [...js, ...css],
    jsRaw: total(js, 'raw'),
    jsGzip: total(js, 'gzip'),
    jsBrotli: total(js, 'br'),
    cssGzip: total([...css], 'gzip'),
    htmlGzip: sizes('index.html').gzip,
  };
}

if (require.main === module) {
  if (!fs.existsSync(path.join(DIST, '.vite/manifest.json'))) {
    process.stderr.write('no build: run npm run console:build first\n');
    process.exit(1);
  }
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  for (const page of ['console', 'portal'] as const) {
    const w = measure(page);
    process.stdout.write(
      `${page.padEnd(8)} first page: JavaScript ${kb(w.jsGzip)} gzip / ${kb(w.jsBrotli)} brotli (${kb(w.jsRaw)} raw, ${w.files.filter((f) => f.endsWith('.js')).length} files), CSS ${kb(w.cssGzip)} gzip, HTML ${kb(w.htmlGzip)} gzip — target < 250 KB gzip: ${w.jsGzip < 250 * 1024 ? 'met' : 'NOT met'}\n`,
    );
  }
}
