import { catalogue } from './faults';
import { FaultPlatform } from './platform';
import { recoveryTable, runFaults, SuiteResult, violations } from './suite';

jest.setTimeout(900_000);

/**
 * Issue 14, the CI form: the whole platform (the gateway and two instances of every consumer service) on its own
 * MariaDB, Redis and Kafka, under a steady load of signed Retell calls and Stripe top-ups, through a few
 * representative faults; then the promise is checked from the outside only. The full form is
 * `npm run test:faults` (tools/faults/faults.faults-spec.ts).
 */
describe('under faults, nothing acknowledged is lost or done twice (short form)', () => {
  const platform = new FaultPlatform();
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
    expect(result.deadLetters).toEqual([expect.objectContaining({ topic: 'call.completed.dlq', reason: expect.any(String) })]);
  });
});
