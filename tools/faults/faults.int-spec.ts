import { catalogue } from './faults';
import { FaultPlatform } from './platform';
import { recoveryTable, runFaults, SuiteResult, violations } from './suite';

jest.setTimeout(900_000);

/**
 * Issue 14, the CI form: the whole platform (the gateway, two instances each of booking and billing, one of the other services) on its own
 * MariaDB, Redis and Kafka, under a steady load of signed Retell calls and Stripe top-ups, through a few
 * representative faults; then the promise is checked from the outside only. The full form is
 * `npm run test:faults` (tools/faults/faults.faults-spec.ts).
 */
describe('under faults, nothing acknowledged is lost or done twice (short form)', () => {
  // Two instances of the services this form kills; one of the others, so the CI form stays within its budget.
  const platform = new FaultPlatform({ 'voice-agent': 1, notification: 1, sync: 1 });
  let result: SuiteResult;

  beforeAll(async () => {
    await platform.start();
    result = await runFaults(platform, catalogue({ redisDownMs: 10_000 }).filter((f) => f.short), (l) => process.stdout.write(`${l}\n`));
    process.stdout.write(`\n${recoveryTable(result, 'Fault suite (short form)')}\n`);
  });
  afterAll(() => platform.stop());

  it('every acknowledged effect happened exactly once, and every fault was recovered from', () => {
    expect(result.calls).toBeGreaterThan(0);
    expect(violations(result)).toEqual([]);
    expect(result.rows.every((r) => r.losses === 0 && r.doubles === 0)).toBe(true);
  });

  it('the poison message, and only it, is on a dead-letter topic with its reason', () => {
    expect(result.ctx.poison).toHaveLength(1);
    const [marker] = result.ctx.poison;
    expect(result.deadLetters.length).toBeGreaterThan(0);
    // One per consumer group of call.completed (billing and sync each give up on it), each saying why.
    for (const letter of result.deadLetters) expect(letter).toMatchObject({ topic: 'call.completed.dlq', value: expect.stringContaining(marker), reason: expect.stringMatching(/\w/) });
  });
});
