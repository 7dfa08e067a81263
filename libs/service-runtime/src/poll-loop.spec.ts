import pino from 'pino';
import { PollLoop } from './poll-loop';

const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PollLoop', () => {
  it('rests between rounds that find little, runs on at once after a full batch, and wakes early on request', async () => {
    const found = [5, 5, 1]; // two full batches, then a short one
    let rounds = 0;
    const loop = new PollLoop({ name: 't', intervalMs: 10_000, batchSize: 5, logger, round: async () => found[rounds++] ?? 0 });
    loop.start();
    await sleep(50);
    expect(rounds).toBe(3); // resting now, for 10 s
    loop.wake();
    await sleep(20);
    expect(rounds).toBe(4);
    await loop.stop();
  });

  it('keeps a wake-up that came while the round was busy for the next rest', async () => {
    let rounds = 0;
    let release!: () => void;
    const loop = new PollLoop({
      name: 't',
      intervalMs: 10_000,
      batchSize: 100,
      logger,
      round: async () => {
        rounds++;
        if (rounds === 1) await new Promise<void>((r) => (release = r));
        return 0;
      },
    });
    loop.start();
    await sleep(10);
    loop.wake(); // during round 1
    release();
    await sleep(20);
    expect(rounds).toBe(2);
    await loop.stop();
  });

  it('survives a failing round and lets the round in flight finish on stop', async () => {
    let rounds = 0;
    let finished = false;
    const loop = new PollLoop({
      name: 't',
      intervalMs: 5,
      batchSize: 1,
      logger,
      round: async () => {
        rounds++;
        if (rounds === 1) throw new Error('database away');
        await sleep(30);
        finished = true;
        return 0;
      },
    });
    loop.start();
    await sleep(15);
    expect(rounds).toBe(2);
    await loop.stop();
    expect(finished).toBe(true);
    const after = rounds;
    await sleep(30);
    expect(rounds).toBe(after);
  });
});
