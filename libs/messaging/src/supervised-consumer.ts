import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { consumerRecoveries } from './metrics';
import { isUnknownTopicError } from './send-queue';

export interface SupervisedConsumerOptions {
  config: ConsumerConfig;
  logger: Logger;
  /** Subscribes and runs a new, connected consumer; called at start and for every consumer made after a crash. */
  run: (consumer: Consumer) => Promise<void>;
  /** Called before every (re)start, e.g. to recreate a topic the consumer needs. */
  prepare?: () => Promise<void>;
  /** How long a started consumer may stay out of its group before it is replaced (default 60 s). */
  rejoinDeadlineMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A kafkajs consumer that comes back by itself. kafkajs restarts a crashed consumer only when the error is
 * retriable; otherwise (CRASH with restart=false) the consumer stays stopped, out of its group, for good — after a
 * broker or coordinator outage that silenced every responder. Here such a consumer is thrown away and a new one is
 * connected, subscribed and run, with a capped back-off until the broker answers; one that stays out of its group
 * past `rejoinDeadlineMs` (a restart that hangs) is replaced the same way. `isJoined` is what readiness reports.
 */
export class SupervisedConsumer {
  private current?: Consumer;
  private generation = 0;
  private joined = false;
  private active = false;
  private outSince = 0;
  private recovering?: Promise<void>;
  private watchdog?: NodeJS.Timeout;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: SupervisedConsumerOptions,
  ) {}

  get isJoined(): boolean {
    return this.active && this.joined;
  }

  /** The consumer currently running (a new object after each recovery). */
  get consumer(): Consumer | undefined {
    return this.current;
  }

  /** First start: errors reach the caller (a service that cannot reach Kafka at boot fails its boot). */
  async start(): Promise<void> {
    this.active = true;
    await this.launch();
    const deadline = this.options.rejoinDeadlineMs ?? 60_000;
    this.watchdog = setInterval(() => {
      if (this.active && !this.joined && this.outSince && Date.now() - this.outSince > deadline) {
        this.recover(`not in its group for ${Math.round((Date.now() - this.outSince) / 1000)} s`);
      }
    }, Math.min(5000, deadline));
    this.watchdog.unref();
  }

  /** Waits until the group is joined. */
  async waitUntilJoined(timeoutMs = 30000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.isJoined) {
      if (Date.now() > until) throw new Error(`consumer group ${this.options.config.groupId} did not join in ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  /** Stops supervising and disconnects (kafkajs lets in-flight handlers finish and commits). */
  async stop(): Promise<void> {
    this.active = false;
    clearInterval(this.watchdog);
    await this.recovering?.catch(() => undefined);
    this.joined = false;
    this.generation++;
    await this.current?.disconnect();
  }

  private leftGroup() {
    this.joined = false;
    if (!this.outSince) this.outSince = Date.now();
  }

  private async launch(): Promise<void> {
    const generation = ++this.generation;
    const mine = () => generation === this.generation;
    this.leftGroup();
    await this.options.prepare?.();
    const consumer = this.kafka.consumer(this.options.config);
    this.current = consumer;
    const { GROUP_JOIN, REBALANCING, CRASH, STOP } = consumer.events;
    consumer.on(GROUP_JOIN, () => {
      if (!mine()) return;
      this.joined = true;
      this.outSince = 0;
    });
    consumer.on(REBALANCING, () => mine() && this.leftGroup());
    consumer.on(STOP, () => mine() && this.leftGroup());
    consumer.on(CRASH, ({ payload }) => {
      if (!mine()) return;
      this.leftGroup();
      const err = { name: payload.error.name, message: payload.error.message };
      // A subscribed topic that vanished (a reply topic lost with the broker's data) would crash every restart:
      // replace the consumer at once, `prepare` recreates what it needs.
      if (payload.restart && !(this.options.prepare && isUnknownTopicError(payload.error))) {
        this.options.logger.warn({ err, group: this.options.config.groupId }, 'consumer crashed; kafkajs restarts it');
      } else {
        this.options.logger.error({ err, group: this.options.config.groupId }, 'consumer crashed for good; replacing it');
        this.recover(payload.error.message);
      }
    });
    await consumer.connect();
    await this.options.run(consumer);
  }

  private recover(reason: string): void {
    if (!this.active || this.recovering) return;
    const group = this.options.config.groupId;
    this.recovering = (async () => {
      for (let delay = 500; this.active; delay = Math.min(delay * 2, 15_000)) {
        const old = this.current;
        this.generation++; // the old consumer's late events no longer count
        await old?.disconnect().catch(() => undefined);
        if (!this.active) return;
        try {
          await this.launch();
          consumerRecoveries().inc({ group });
          this.options.logger.warn({ group, reason }, 'consumer replaced after a failure');
          return;
        } catch (error) {
          this.options.logger.warn({ err: { name: (error as Error).name, message: (error as Error).message }, group }, 'consumer not replaced yet; retrying');
          await sleep(delay);
        }
      }
    })().finally(() => (this.recovering = undefined));
  }
}
