import fs from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

/** Content types of what Vite emits; anything else is served as bytes. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The browser pages' policy: everything from this origin only, nothing inline, no plugins, no framing. Audio
 * (call recordings) comes from the API on the same origin; Stripe Checkout is a top-level navigation, which
 * CSP does not restrict.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "media-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

export interface ConsoleFile {
  body: Buffer;
  contentType: string;
  cacheControl: string;
  /** Compressed once when first read (text types only): what a browser downloads. */
  br?: Buffer;
  gzip?: Buffer;
}

const COMPRESSIBLE = /^(text\/|application\/json|image\/svg)/;

/** The best body for an `Accept-Encoding` (brotli, then gzip, else as is). */
export function encodedBody(file: ConsoleFile, acceptEncoding: string | undefined): { body: Buffer; encoding: 'br' | 'gzip' | null } {
  const accepted = new Set(
    (acceptEncoding ?? '')
      .split(',')
      .map((part) => part.trim().toLowerCase().split(/\s*;\s*q=/))
      .filter(([, q]) => q === undefined || Number(q) > 0)
      .map(([name]) => name),
  );
  const accepts = (name: string) => accepted.has(name);
  if (file.br && accepts('br')) return { body: file.br, encoding: 'br' };
  if (file.gzip && accepts('gzip')) return { body: file.gzip, encoding: 'gzip' };
  return { body: file.body, encoding: null };
}

/**
 * The built console (apps/console → `dist/console`): hashed assets under `assets/` are immutable for a year;
 * any other path of the app is the single-page app's `index.html`, never cached, so a deploy is picked up on
 * the next navigation. Files are read (and compressed) once per name and kept (the build is fixed for a
 * process's life).
 */
export class ConsoleFiles {
  private readonly cache = new Map<string, ConsoleFile | null>();

  constructor(private readonly root: string) {}

  built(): boolean {
    return fs.existsSync(path.join(this.root, 'index.html'));
  }

  /** `relative` is the path below the app's prefix (`/console/` or `/portal/`), URL-decoded. */
  resolve(relative: string): ConsoleFile | null {
    const clean = path.posix.normalize(`/${relative}`).slice(1);
    if (clean.startsWith('assets/')) return this.read(clean, 'public, max-age=31536000, immutable');
    if (clean && /\.[a-z0-9]+$/i.test(clean) && !clean.endsWith('.html')) {
      const file = this.read(clean, 'public, max-age=3600');
      if (file) return file;
    }
    return this.read('index.html', 'no-cache');
  }

  private read(name: string, cacheControl: string): ConsoleFile | null {
    if (this.cache.has(name)) return this.cache.get(name)!;
    const full = path.join(this.root, name);
    let file: ConsoleFile | null = null;
    // normalize() above removed any `..`; this keeps even a symlink from leading outside the build
    if (full.startsWith(this.root + path.sep) && fs.existsSync(full) && fs.statSync(full).isFile()) {
      const body = fs.readFileSync(full);
      const contentType = TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream';
      file = { body, contentType, cacheControl };
      if (COMPRESSIBLE.test(contentType) && body.length > 1024) {
        file.br = brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } });
        file.gzip = gzipSync(body, { level: 9 });
      }
    }
    this.cache.set(name, file);
    return file;
  }
}
