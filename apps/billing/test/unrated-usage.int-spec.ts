import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { testInfra, waitFor } from '@receptionist/testing';
import { UsageService } from '../src/usage/usage.service';
import { startBilling, TestBilling, TestPublisher } from './billing-app';

/**
 * Re-rating of usage kept unrated: a company whose prices are in another currency than its account cannot be rated,
 * and its (older) usage must not starve the usage of companies whose prices arrived later. Real billing, MariaDB and
 * Kafka; the periodic re-rater is slowed down so the test drives the rounds itself with a small round size.
 */
jest.setTimeout(120_000);

let billing: TestBilling;
let db: DataSource;
let publisher: TestPublisher;
let usage: UsageService;

const DAY = 86_400_000;
const statuses = async (companyId: string) =>
  (await db.query('SELECT status FROM usage_charge WHERE company_id = ? ORDER BY id', [companyId])).map((r: { status: string }) => r.status);

async function setUp(companyId: string, currency: 'EUR' | 'USD') {
  await publisher.billingSetup(companyId, { perMinuteMinor: 60, lowBalanceThresholdMinor: 0 }, currency);
  await waitFor(async () => (await db.query('SELECT currency FROM company_pricing WHERE company_id = ?', [companyId]))[0]?.currency === currency, { message: `prices in ${currency}` });
}

beforeAll(async () => {
  billing = await startBilling({ BILLING_RERATE_INTERVAL_MS: '3600000' });
  db = new DataSource({ type: 'mysql', ...testInfra.db, database: billing.database, timezone: 'Z' });
  await db.initialize();
  publisher = await new TestPublisher().start();
  usage = billing.app.get(UsageService, { strict: false });
});

afterAll(async () => {
  await publisher?.stop();
  await db?.destroy();
  await billing?.close();
});

describe('rating usage kept unrated', () => {
  it('rates the oldest rateable usage first and skips usage in a foreign currency until its prices change', async () => {
    // A company billed in EUR whose set-up then switched to USD: its account stays EUR, so its calls cannot be rated.
    const foreign = randomUUID();
    await setUp(foreign, 'EUR');
    await publisher.publish(publisher.callCompleted(foreign, `eur_${foreign.slice(0, 8)}`, 60));
    await waitFor(async () => (await statuses(foreign)).join() === 'charged', { message: 'first call charged in EUR' });
    await setUp(foreign, 'USD');
    await new Promise((r) => setTimeout(r, 1200)); // the consumer's prices cache (1 s) forgets the EUR prices
    for (let i = 0; i < 3; i++) await publisher.publish(publisher.callCompleted(foreign, `usd_${i}_${foreign.slice(0, 8)}`, 60, new Date(Date.now() - 2 * DAY + i * 1000)));
    await waitFor(async () => (await statuses(foreign)).filter((s: string) => s === 'unpriced').length === 3, { message: 'foreign-currency usage kept unrated' });

    // A company whose calls came in before its prices: unrated, younger than the foreign-currency usage.
    const late = randomUUID();
    for (let i = 0; i < 2; i++) await publisher.publish(publisher.callCompleted(late, `late_${i}_${late.slice(0, 8)}`, 120, new Date(Date.now() - DAY + i * 1000)));
    await waitFor(async () => (await statuses(late)).length === 2, { message: 'usage without prices kept' });
    await setUp(late, 'EUR');

    // Rounds of two: the three unrateable calls come first by age, yet the late company's calls are rated.
    for (let round = 0; round < 4; round++) await usage.rateUnpriced(2);
    expect(await statuses(late)).toEqual(['charged', 'charged']);
    expect(await statuses(foreign)).toEqual(['charged', 'unpriced', 'unpriced', 'unpriced']);
    const [{ balance }] = await db.query(
      'SELECT e.balance_after_minor AS balance FROM billing_account a JOIN ledger_entry e ON e.company_id = a.company_id AND e.seq = a.last_seq WHERE a.company_id = ?',
      [late],
    );
    expect(Number(balance)).toBe(-240);

    // Its set-up back in EUR (a new revision): the skipped usage is tried again and rated.
    await setUp(foreign, 'EUR');
    await usage.rateUnpriced(2);
    await usage.rateUnpriced(2);
    expect(await statuses(foreign)).toEqual(['charged', 'charged', 'charged', 'charged']);
  });
});
