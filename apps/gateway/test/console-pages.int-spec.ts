import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGateway, TestGateway } from './gateway-app';

jest.setTimeout(90000);

/**
 * The web console and portal served by the gateway from a build directory (a stand-in build here: the real
 * one is Vite's output, exercised by the browser tests in apps/console/e2e).
 */
describe('console and portal pages', () => {
  let gw: TestGateway;
  let dir: string;
  const BIG = `export const words = ${JSON.stringify(Array.from({ length: 2000 }, (_, i) => `word${i % 50}`))};`;
  const INDEX = '<!doctype html><html><head><script type="module" src="/console/assets/index-AbC123.js"></script></head><body><div id="root"></div></body></html>';
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-build-'));
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'index.html'), INDEX);
    fs.writeFileSync(path.join(dir, 'assets/index-AbC123.js'), 'console.log("app")');
    fs.writeFileSync(path.join(dir, 'assets/big-Zz9.js'), BIG);
    fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    fs.writeFileSync(path.join(os.tmpdir(), 'console-secret.txt'), 'outside the build');
    gw = await startGateway({ CONSOLE_DIR: dir });
  });
  afterAll(async () => {
    await gw?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const get = (p: string) => fetch(gw.url + p, { redirect: 'manual' });

  it('answers every app path with index.html, never cached, under a strict CSP', async () => {
    for (const p of ['/console/', '/console/calls/call_123', '/portal/', '/portal/register', '/portal/billing']) {
      const res = await get(p);
      expect([p, res.status]).toEqual([p, 200]);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(await res.text()).toBe(INDEX);
    }
    const bare = await get('/portal');
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/portal/');
  });

  it('serves hashed assets for a year and refuses what is not in the build', async () => {
    const asset = await get('/console/assets/index-AbC123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await asset.text()).toBe('console.log("app")');
    expect((await get('/console/favicon.svg')).headers.get('content-type')).toBe('image/svg+xml');
    expect((await get('/console/assets/gone-123.js')).status).toBe(404);
    // no way out of the build directory
    for (const p of ['/console/assets/..%2f..%2fconsole-secret.txt', '/console/%2e%2e/%2e%2e/console-secret.txt']) {
      const res = await get(p);
      expect(await res.text()).not.toContain('outside the build');
    }
  });

  it('sends text files compressed when the browser accepts it (brotli, else gzip), as they are otherwise', async () => {
    const fetchWith = (encoding: string) => fetch(`${gw.url}/console/assets/big-Zz9.js`, { headers: { 'accept-encoding': encoding } });
    // fetch decompresses transparently: the body is the file whatever the encoding
    for (const [accept, expected] of [['gzip, deflate, br', 'br'], ['gzip', 'gzip'], ['br;q=0, gzip', 'gzip'], ['identity', null]] as const) {
      const res = await fetchWith(accept);
      expect([accept, res.headers.get('content-encoding')]).toEqual([accept, expected]);
      expect(res.headers.get('vary')).toMatch(/accept-encoding/i);
      expect(await res.text()).toBe(BIG);
    }
  });

  it('leaves the API under its own policy', async () => {
    const res = await get('/api/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('content-security-policy')).not.toContain("script-src 'self'");
  });
});
