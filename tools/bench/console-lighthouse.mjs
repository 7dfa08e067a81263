/**
 * Lighthouse on the console's dashboard and the portal's appointment page (issue 17's figure: performance ≥ 90,
 * accessibility ≥ 95), with Debian's chromium (never a downloaded browser), against a running platform
 * (`npm start`; GATEWAY_URL, default http://127.0.0.1:3000). Signs in as the demo admin, and as the demo caller in
 * the portal (invited and registered through the API on the first run), puts each session where the app keeps it
 * (localStorage) and measures a cold navigation with Lighthouse's default mobile profile (simulated 4G, 4× CPU).
 * The floor, measured in the same run and browser: a bare static page from a local server — the best figures
 * this machine and profile give.
 *
 *   npm start   (in another terminal) ;  npm run bench:lighthouse
 *
 * Plain ESM JavaScript because Lighthouse is an ES module that the project's CommonJS TypeScript runner cannot load.
 */
import http from 'node:http';
import fs from 'node:fs';
import lighthouse from 'lighthouse';
import puppeteer from 'puppeteer-core';

const GATEWAY = process.env.GATEWAY_URL ?? 'http://127.0.0.1:3000';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ADMIN = { email: process.env.PLATFORM_ADMIN_EMAIL || 'admin@receptionist.local', password: process.env.PLATFORM_ADMIN_PASSWORD || 'local demo admin password' };
const CALLER = process.env.DEMO_CALLER ?? '+491701234567';
const PORTAL_PASSWORD = 'lighthouse portal password';
const RUNS = Number(process.env.BENCH_LIGHTHOUSE_RUNS ?? 3);

async function api(method, path, token, body) {
  const res = await fetch(`${GATEWAY}${path}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function sessions() {
  const admin = await api('POST', '/api/v1/auth/login', null, ADMIN);
  if (admin.status !== 200) throw new Error(`demo admin sign-in: ${admin.status} (is the platform up? npm start)`);
  const companies = await api('GET', '/api/v1/companies', admin.body.token);
  const company = (companies.body.data ?? companies.body).find((c) => c.name === 'Salon Schnittpunkt');
  if (!company) throw new Error('demo company not imported');
  let portal = await api('POST', '/api/portal/login', null, { phone: CALLER, password: PORTAL_PASSWORD });
  if (portal.status !== 200) {
    const invitation = await api('POST', `/api/v1/companies/${company.id}/portal-invitations`, admin.body.token, { name: 'Erika Mustermann', phone: CALLER });
    const token = new URL(invitation.body.link).hash.replace('#token=', '');
    const registered = await api('POST', '/api/portal/register', null, { token, password: PORTAL_PASSWORD });
    if (registered.status >= 300) throw new Error(`portal registration: ${registered.status} ${JSON.stringify(registered.body)}`);
    portal = await api('POST', '/api/portal/login', null, { phone: CALLER, password: PORTAL_PASSWORD });
  }
  if (portal.status !== 200) throw new Error(`portal sign-in: ${portal.status}`);
  return { console: admin.body, portal: portal.body };
}

/** A bare page from a local server: what Lighthouse gives this machine at best. */
function floorServer() {
  const html = '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>floor</title></head><body><main><h1>Floor</h1><p>A static page.</p></main></body></html>';
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function measure(browser, url, storage) {
  const page = await browser.newPage();
  if (storage) {
    // The app's own origin first, to write its session where the app reads it.
    await page.goto(new URL('/console/login', url).href);
    await page.evaluate(([k, v]) => localStorage.setItem(k, v), storage);
  }
  const result = await lighthouse(url, { logLevel: 'error', output: 'json', onlyCategories: ['performance', 'accessibility'], disableStorageReset: true }, undefined, page);
  await page.close();
  const lhr = result.lhr;
  const audit = (id) => lhr.audits[id]?.numericValue ?? NaN;
  return {
    performance: Math.round(lhr.categories.performance.score * 100),
    accessibility: Math.round(lhr.categories.accessibility.score * 100),
    fcp: audit('first-contentful-paint'),
    lcp: audit('largest-contentful-paint'),
    tbt: audit('total-blocking-time'),
    cls: audit('cumulative-layout-shift'),
    failedA11y: Object.values(lhr.audits).filter((a) => lhr.categories.accessibility.auditRefs.some((r) => r.id === a.id && r.weight > 0) && a.score === 0).map((a) => a.id),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium`);
  const s = await sessions();
  const floor = await floorServer();
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'] });
  const pages = [
    { name: 'floor: bare static page', url: `http://127.0.0.1:${floor.address().port}/` },
    { name: 'console dashboard', url: `${GATEWAY}/console/`, storage: ['receptionist.console.session', JSON.stringify(s.console)] },
    { name: 'portal appointments', url: `${GATEWAY}/portal/`, storage: ['receptionist.portal.session', JSON.stringify(s.portal)] },
  ];
  const rows = [];
  try {
    for (const p of pages) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await measure(browser, p.url, p.storage));
      const m = (k) => median(runs.map((r) => r[k]));
      rows.push({ name: p.name, performance: m('performance'), accessibility: m('accessibility'), fcp: m('fcp'), lcp: m('lcp'), tbt: m('tbt'), cls: m('cls'), failedA11y: [...new Set(runs.flatMap((r) => r.failedA11y))] });
    }
  } finally {
    await browser.close();
    floor.close();
  }
  console.log(`\nLighthouse ${RUNS} runs per page (median), mobile profile (simulated 4G, 4x CPU slowdown), chromium ${CHROMIUM}`);
  console.log(`${'page'.padEnd(26)}${'perf'.padStart(6)}${'a11y'.padStart(6)}${'FCP ms'.padStart(9)}${'LCP ms'.padStart(9)}${'TBT ms'.padStart(9)}${'CLS'.padStart(7)}`);
  for (const r of rows) {
    console.log(`${r.name.padEnd(26)}${String(r.performance).padStart(6)}${String(r.accessibility).padStart(6)}${r.fcp.toFixed(0).padStart(9)}${r.lcp.toFixed(0).padStart(9)}${r.tbt.toFixed(0).padStart(9)}${r.cls.toFixed(3).padStart(7)}${r.failedA11y.length ? `  failed: ${r.failedA11y.join(', ')}` : ''}`);
  }
  const goals = rows.slice(1).every((r) => r.performance >= 90 && r.accessibility >= 95);
  console.log(`goal (performance >= 90, accessibility >= 95 on both pages): ${goals ? 'met' : 'NOT met'}`);
  if (process.env.BENCH_RESULT_FILE) fs.writeFileSync(process.env.BENCH_RESULT_FILE, JSON.stringify({ runs: RUNS, rows }));
  if (!goals) process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    console.error('[lighthouse]', error.message);
    process.exit(1);
  },
);
