import type { Message, Producer } from 'kafkajs';

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

  constructor(
    private readonly producer: Producer,
    private readonly options: { acks: -1 | 1; maxInFlight: number; maxBatch?: number },
  ) {}

  send(topic: string, message: Message): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, message, done: (e) => (e ? reject(e) : resolve()) });
      this.drain();
    });
  }

  private drain(): void {
    while (this.queue.length && this.inFlight < this.options.maxInFlight) {
      const batch = this.queue.splice(0, this.options.maxBatch ?? 500);
      this.inFlight += 1;
      const byTopic = new Map<string, Message[]>();
      for (const item of batch) byTopic.set(item.topic, [...(byTopic.get(item.topic) ?? []), item.message]);
      this.producer
        .sendBatch({ acks: this.options.acks, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) })
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
