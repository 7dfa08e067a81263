import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { PrivateMariaDB, collectMessages, testKafka, waitFor } from '@receptionist/testing';
import { migrations } from '../src/migrations';
import { startBilling, TestPublisher } from './billing-app';

jest.setTimeout(420_000);

/**
 * Issue 13, defect 1: a database restart is a transient failure. Billing's consumer holds the partition and retries
 * until MariaDB is back, instead of dead-lettering every call.completed of the outage (unbilled calls). The database
 * is the test's own MariaDB, stopped for real for 60 s under a stream of calls.
 */
it('debits every call exactly once and dead-letters nothing when MariaDB is down for 60 s', async () => {
  const mariadb = new PrivateMariaDB();
  await mariadb.start();
  const database = 'billing_outage';
  const server = { type: 'mysql' as const, host: '127.0.0.1', port: mariadb.port, username: 'root', password: '', timezone: 'Z' };
  const setup = new DataSource(server);
  await setup.initialize();
  await setup.query(`CREATE DATABASE ${database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await setup.destroy();
  const migrate = new DataSource({ ...server, database, migrations });
  await migrate.initialize();
  await migrate.runMigrations({ transaction: 'each' });
  await migrate.destroy();

  const billing = await startBilling({ DB_HOST: '127.0.0.1', DB_PORT: String(mariadb.port), DB_USERNAME: 'root', DB_PASSWORD: '' }, { database });
  const publisher = await new TestPublisher().start();
  const companyId = randomUUID();
  const dlq = await collectMessages(testKafka(), [`${Topics.callCompleted.name}.dlq`], { fromBeginning: false });
  const db = new DataSource({ ...server, database });
  await db.initialize();
  const debits = async () => Number((await db.query(`SELECT COUNT(*) AS n FROM ledger_entry WHERE company_id = ? AND kind = 'usage'`, [companyId]))[0].n);
  try {
    await publisher.billingSetup(companyId, { perMinuteMinor: 12, lowBalanceThresholdMinor: 0 });
    await waitFor(async () => (await db.query('SELECT 1 FROM company_pricing WHERE company_id = ?', [companyId])).length > 0, { message: 'pricing' });
    let sent = 0;
    const call = () => publisher.publish(publisher.callCompleted(companyId, `outage_${sent++}`, 30));
    for (let i = 0; i < 10; i++) await call();
    await waitFor(async () => (await debits()) === 10, { timeoutMs: 60_000, message: 'the first debits' });

    await db.destroy();
    await mariadb.stop();
    // Calls keep ending while the database is down (each is acknowledged by Kafka, so it must be billed).
    const outageEnds = Date.now() + 60_000;
    while (Date.now() < outageEnds) {
      await call();
      await new Promise((r) => setTimeout(r, 1500));
    }
    await mariadb.start();
    for (let i = 0; i < 5; i++) await call();

    await db.initialize();
    await waitFor(async () => (await debits().catch(() => 0)) >= sent, { timeoutMs: 180_000, intervalMs: 1000, message: `${sent} debits` });
    await new Promise((r) => setTimeout(r, 2000));
    expect(await debits()).toBe(sent);
    expect(dlq.messages.filter((m) => m.value?.toString().includes(companyId))).toEqual([]);
  } finally {
    await dlq.stop();
    await billing.app.close();
    if (db.isInitialized) await db.destroy();
    await publisher.stop();
    await mariadb.destroy();
  }
});
