import { randomUUID } from 'node:crypto';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { DataSource } from 'typeorm';
import { Topics, createEnvelope } from '@receptionist/contracts';
import { createKafka, ensureTopics, MessageProducer } from '@receptionist/messaging';
import { PrivateKafka, silentLogger, testInfra, testKafkaOn, uniqueName, waitFor } from '@receptionist/testing';
import { createBillingDatabase, startBilling, TestBilling, TestPublisher } from './billing-app';

jest.setTimeout(240_000);

const USERS = { billing: 'billing-scram-secret', gateway: 'gateway-scram-secret', intruder: 'intruder-scram-secret' };

/**
 * Kafka with SCRAM-SHA-512 and ACLs (a broker of the test's own; the shared one stays PLAINTEXT): a service logs in
 * with its credentials from KAFKA_SASL_*, a wrong password keeps it from starting, and a principal without a write
 * ACL on `stripe.event.received` cannot put a forged payment there for billing to credit.
 */
describe('Kafka with SASL/SCRAM and ACLs', () => {
  const kafka = new PrivateKafka({
    scram: { users: Object.entries(USERS).map(([name, password]) => ({ name, password })), superUsers: ['billing'], acls: true },
  });
  let billing: TestBilling | undefined;
  let db: { database: string; drop: () => Promise<void> };

  const saslEnv = (user: keyof typeof USERS, password = USERS[user]) => ({
    KAFKA_BROKERS: kafka.brokers.join(','),
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: user,
    KAFKA_SASL_PASSWORD: password,
  });

  beforeAll(async () => {
    await kafka.start();
    const admin = createKafka({ brokers: kafka.brokers, clientId: 'sasl-test-admin', logger: silentLogger, security: kafka.security() });
    await ensureTopics(admin);
    const acls = admin.admin();
    await acls.connect();
    try {
      const on = (principal: string, operation: AclOperationTypes) => ({
        resourceType: AclResourceTypes.TOPIC,
        resourceName: Topics.stripeEventReceived.name,
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal,
        host: '*',
        operation,
        permissionType: AclPermissionTypes.ALLOW,
      });
      // kafkajs' idempotent producer (InitProducerId v1) needs IDEMPOTENT_WRITE on the cluster: both get it.
      const idempotent = (principal: string) => ({
        ...on(principal, AclOperationTypes.IDEMPOTENT_WRITE),
        resourceType: AclResourceTypes.CLUSTER,
        resourceName: 'kafka-cluster',
      });
      // The gateway may publish verified Stripe events; the intruder may look at the topic but not write to it.
      await acls.createAcls({
        acl: [
          on('User:gateway', AclOperationTypes.WRITE),
          on('User:gateway', AclOperationTypes.DESCRIBE),
          idempotent('User:gateway'),
          on('User:intruder', AclOperationTypes.DESCRIBE),
          idempotent('User:intruder'),
        ],
      });
      // The broker's authorizer applies them from the metadata log a moment later; what it describes, it enforces.
      await waitFor(
        async () => (await acls.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY })).resources.length >= 2,
        { message: 'ACLs in force' },
      );
    } finally {
      await acls.disconnect();
    }
    db = await createBillingDatabase();
  });

  afterAll(async () => {
    await billing?.close();
    await db?.drop();
    await kafka.destroy();
  });

  it('a service with its SCRAM credentials becomes ready and exchanges messages', async () => {
    billing = await startBilling(saslEnv('billing'), { database: db.database, service: uniqueName('billing-sasl') });
    await waitFor(async () => (await fetch(`${billing!.url}/health/ready`)).status === 200, { timeoutMs: 60_000, message: 'billing ready on the SASL broker' });

    const companyId = randomUUID();
    const publisher = await new TestPublisher(testKafkaOn(kafka.brokers, uniqueName('sasl-pub'), kafka.security('billing'))).start();
    const ds = new DataSource({ type: 'mysql', ...testInfra.db, database: db.database, timezone: 'Z' });
    await ds.initialize();
    try {
      await publisher.billingSetup(companyId, { perMinuteMinor: 30, lowBalanceThresholdMinor: 0 });
      await waitFor(async () => (await ds.query('SELECT company_id FROM company_pricing WHERE company_id = ?', [companyId])).length === 1, { message: 'prices set up' });
      await publisher.publish(publisher.callCompleted(companyId, uniqueName('call_sasl'), 120));
      const [entry] = await waitFor(async () => {
        const rows: { amount_minor: string }[] = await ds.query(`SELECT amount_minor FROM ledger_entry WHERE company_id = ? AND kind = 'usage'`, [companyId]);
        return rows.length ? rows : null;
      }, { timeoutMs: 30_000, message: 'the call debited' });
      expect(Math.abs(Number(entry.amount_minor))).toBe(60); // 2 minutes at 30 per minute
    } finally {
      await publisher.stop();
      await ds.destroy();
    }
  });

  it('a wrong password refuses to start, saying that authentication failed', async () => {
    const refused = await startBilling(saslEnv('billing', 'not-the-password'), { database: db.database, service: uniqueName('billing-sasl-wrong') }).then(
      async (app) => {
        await app.close();
        return null;
      },
      (error: Error) => error,
    );
    expect(refused?.message).toMatch(/SASL SCRAM SHA512 authentication failed/);
    expect(refused?.message).not.toContain('not-the-password');
  });

  it('a principal without a write ACL on stripe.event.received cannot produce to it; the gateway with one can', async () => {
    const send = async (user: keyof typeof USERS) => {
      const producer = new MessageProducer(testKafkaOn(kafka.brokers, uniqueName(user), kafka.security(user)));
      try {
        await producer.connect();
        const eventId = `evt_${randomUUID()}`;
        await producer.publish({
          topic: Topics.stripeEventReceived.name,
          key: 'cus_forged',
          envelope: createEnvelope({
            type: Topics.stripeEventReceived.name,
            source: 'gateway',
            companyId: null,
            subject: eventId,
            data: { eventId, type: 'checkout.session.completed', livemode: false, created: 1, objectId: 'cs_1', customerId: 'cus_forged', receivedAt: new Date().toISOString(), event: {} },
          }),
        });
        return 'written';
      } catch (error) {
        return (error as { type?: string }).type ?? String(error);
      } finally {
        await producer.disconnect().catch(() => undefined);
      }
    };
    expect(await send('intruder')).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await send('gateway')).toBe('written');
  });
});
