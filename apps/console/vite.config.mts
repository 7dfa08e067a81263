import path from 'node:path';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * One build for both browser apps: the gateway serves `dist/console` under `/console/` and `/portal/` (the
 * same index.html; the path picks the app) and the hashed assets under `/console/assets/`, cached for a year.
 * `npm run console:dev` proxies the API to a gateway on 127.0.0.1:3000.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: path.resolve(import.meta.dirname, '../../dist/console'),
    emptyOutDir: true,
    // no inline scripts or styles: the pages' CSP allows only files from this origin
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    // which files each page loads: tools/bench/console-weight.ts sums what the first page downloads
    manifest: true,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
