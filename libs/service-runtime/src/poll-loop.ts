import type { Logger } from 'pino';

export interface PollLoopOptions {
  /** For the log line of a failed round. */
  name: string;
  /** Rest between rounds that found less than a full batch. */
  intervalMs: number;
  /** A round that claimed this many is followed at once by the next. */
  batchSize: number;
  /** Claims and handles due work; answers how much it claimed. */
  round: () => Promise<number>;
  logger: Logger;
  /** Loops side by side in this instance (one sends while another records its batch and claims the next). */
  loops?: number;
}

/**
 * The poller of a table of due work (deliveries, messages, alerts claimed with `SKIP LOCKED`): runs `round` again at
 * once while it finds full batches, otherwise after `intervalMs` or a `wake()`, whichever comes first. A wake-up
 * while every loop is busy is kept for the next rest, so work added meanwhile is never left waiting a whole interval.
 */
export class PollLoop {
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private woken = false;

  constructor(private readonly options: PollLoopOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = Array.from({ length: this.options.loops ?? 1 }, () => this.run());
  }

  /** The rounds in flight finish; no new one starts. */
  async stop(): Promise<void> {
    this.running = false;
    for (const wake of [...this.sleepers]) wake();
    await Promise.all(this.loops);
  }

  /** Look for due work now (some was just added). */
  wake(): void {
    const sleeper = this.sleepers.values().next().value;
    if (sleeper) sleeper();
    else this.woken = true;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.options.round();
      } catch (error) {
        this.options.logger.error({ err: error }, `${this.options.name} round failed`);
      }
      if (claimed < this.options.batchSize && this.running) await this.rest();
    }
  }

  private rest(): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.options.intervalMs);
      this.sleepers.add(done);
    });
  }
}
