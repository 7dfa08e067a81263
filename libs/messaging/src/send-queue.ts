import type { Message, Producer } from 'kafkajs';

/** kafkajs keeps refreshing metadata for every topic it ever sent to; one deleted topic then fails every send. */
export function isUnknownTopicError(error: unknown): boolean {
  for (let e = error as { type?: string; message?: string; cause?: unknown; originalError?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (e.type === 'UNKNOWN_TOPIC_OR_PARTITION' || /does not host this topic-partition/i.test(e.message ?? '')) return true;
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return false;
}

export interface SendQueueOptions {
  acks: -1 | 1;
  maxInFlight: number;
  maxBatch?: number;
  /**
   * Called when a send failed because a topic this producer once sent to was deleted (a requester's reply topic,
   * gone with its instance). It must give a fresh, connected producer; the batch is retried once on it.
   */
  renewProducer?: () => Promise<Producer>;
}

/**
 * Batches sends under load without adding latency when idle: a message goes out at once if fewer than
 * `maxInFlight` requests are in flight, otherwise it waits and leaves with everything queued meanwhile in one
 * request. kafkajs spends most of its CPU per request, not per message, so under load this is what keeps a
 * busy service's producers from saturating a core. With `maxInFlight: 1` the order of messages is kept
 * (idempotent producers).
 */
export class SendQueue {
  private queue: { topic: string; message: Message; done: (error?: Error) => void }[] = [];
  private inFlight = 0;
  private renewing?: Promise<Producer>;

  constructor(
    private producer: Producer,
    private readonly options: SendQueueOptions,
  ) {}

  send(topic: string, message: Message): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, message, done: (e) => (e ? reject(e) : resolve()) });
      this.drain();
    });
  }

  private async sendBatch(batch: { topic: string; message: Message }[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const item of batch) byTopic.set(item.topic, [...(byTopic.get(item.topic) ?? []), item.message]);
    const send = () =>
      this.producer.sendBatch({ acks: this.options.acks, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    try {
      await send();
    } catch (error) {
      if (!this.options.renewProducer || !isUnknownTopicError(error)) throw error;
      const stale = this.producer;
      this.renewing ??= this.options.renewProducer().finally(() => (this.renewing = undefined));
      const fresh = await this.renewing;
      if (this.producer === stale) {
        this.producer = fresh;
        void stale.disconnect().catch(() => undefined);
      }
      await send();
    }
  }

  private drain(): void {
    while (this.queue.length && this.inFlight < this.options.maxInFlight) {
      const batch = this.queue.splice(0, this.options.maxBatch ?? 500);
      this.inFlight += 1;
      this.sendBatch(batch)
        .then(
          () => batch.forEach((item) => item.done()),
          (error: Error) => batch.forEach((item) => item.done(error)),
        )
        .finally(() => {
          this.inFlight -= 1;
          this.drain();
        });
    }
  }
}
