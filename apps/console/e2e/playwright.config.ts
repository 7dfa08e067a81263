import { defineConfig } from '@playwright/test';

/**
 * Browser tests of the console and portal, run by tools/platform/console.int-spec.ts against a real platform it
 * starts (E2E_* variables name it). Debian's chromium, never a downloaded browser.
 */
export default defineConfig({
  testDir: __dirname,
  testMatch: '*.e2e.ts',
  workers: 1,
  retries: 0,
  timeout: 180_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  outputDir: process.env.E2E_OUTPUT_DIR ?? '/tmp/console-e2e-output',
  use: {
    baseURL: process.env.E2E_GATEWAY_URL,
    locale: 'en-GB',
    timezoneId: 'Europe/Berlin',
    headless: true,
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--autoplay-policy=no-user-gesture-required',
      ],
    },
  },
});
