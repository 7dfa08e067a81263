import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { testInfra, waitFor } from '@receptionist/testing';
import { rateTalkTime } from '../src/usage/rating';
import { createBillingDatabase, spawnBilling, startBilling, startBillingGroupsAtEnd, TestPublisher } from './billing-app';

jest.setTimeout(300_000);

/**
 * Billing SIGKILLed in the middle of debiting: the replacement (same consumer group, same database) re-reads what
 * was not committed, and the end result is exactly one debit per call, to the cent.
 */
it('changes nothing in the end result when billing is killed mid-run', async () => {
  const { database, drop } = await createBillingDatabase();
  const service = `billing-crash-${randomBytes(3).toString('hex')}`;
  await startBillingGroupsAtEnd(service);
  const publisher = await new TestPublisher().start();
  const db = new DataSource({ type: 'mysql', ...testInfra.db, database, timezone: 'Z' });
  await db.initialize();
  const companyId = randomUUID();
  // Other suites on the shared broker publish calls too: count this company's debits only.
  const debits = async () => Number((await db.query(`SELECT COUNT(*) AS n FROM ledger_entry WHERE company_id = ? AND kind = 'usage'`, [companyId]))[0].n);
  let replacement: Awaited<ReturnType<typeof startBilling>> | undefined;
  const first = await spawnBilling(database, service);
  try {
    await publisher.billingSetup(companyId, { perMinuteMinor: 12, lowBalanceThresholdMinor: 0 });
    await waitFor(async () => (await db.query('SELECT 1 FROM company_pricing WHERE company_id = ?', [companyId])).length > 0, { message: 'pricing' });
    const seconds = Array.from({ length: 300 }, (_, i) => 5 + ((i * 53) % 900)); // ≥ 5 s: every call costs at least 1 ct
    const calls = seconds.map((s, i) => publisher.callCompleted(companyId, `crash_${i}`, s));
    const expected = seconds.reduce((a, s) => a + rateTalkTime({ seconds: s, perMinuteMinor: 12, mode: 'per_second', discountBasisPoints: 0 }), 0);
    const deliveries = [...calls, ...calls].sort(() => Math.random() - 0.5);
    const sending = (async () => {
      for (const e of deliveries) await publisher.publish(e);
    })();
    await waitFor(async () => (await debits()) >= 30, { timeoutMs: 60_000, message: 'some debits before the kill' });
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await debits();
    expect(atKill).toBeLessThan(300);
    await sending;
    replacement = await startBilling({}, { database, service });
    // The killed member holds its partitions until the group gives up on it (rebalance/session timeout, ~60 s).
    await waitFor(async () => (await debits()) === 300, { timeoutMs: 180_000, intervalMs: 500, message: '300 debits' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await debits()).toBe(300);
    const [last] = await db.query(
      'SELECT e.balance_after_minor AS b FROM billing_account a JOIN ledger_entry e ON e.company_id = a.company_id AND e.seq = a.last_seq WHERE a.company_id = ?',
      [companyId],
    );
    expect(Number(last.b)).toBe(-expected);
  } finally {
    if (first.child.exitCode === null) first.child.kill('SIGKILL');
    await replacement?.app.close();
    await db.destroy();
    await publisher.stop();
    await drop();
  }
});
