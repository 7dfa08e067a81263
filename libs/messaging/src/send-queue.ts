import { CompressionTypes, type Message, type Producer } from 'kafkajs';

/** kafkajs keeps refreshing metadata for every topic it ever sent to; one deleted topic then fails every send. */
export function isUnknownTopicError(error: unknown): boolean {
  for (let e = error as { type?: string; message?: string; cause?: unknown; originalError?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (e.type === 'UNKNOWN_TOPIC_OR_PARTITION' || /does not host this topic-partition/i.test(e.message ?? '')) return true;
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return false;
}

/** The broker refused a record (batch) over the topic's `max.message.bytes` (or the broker's `message.max.bytes`). */
export function isMessageTooLargeError(error: unknown): boolean {
  for (let e = error as { type?: string; message?: string; cause?: unknown; originalError?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (e.type === 'MESSAGE_TOO_LARGE' || e.type === 'RECORD_LIST_TOO_LARGE' || /larger than the (maximum|max) (message|record)/i.test(e.message ?? '')) return true;
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return false;
}

/**
 * A message at least this large leaves alone, GZIP-compressed: the broker limits a partition's record batch, not a
 * record, so a large record batched with others could make their whole request fail; alone, only its own send
 * fails. Small messages (almost all) stay batched and uncompressed, as latency-sensitive requests need.
 */
export const LARGE_MESSAGE_BYTES = 64 * 1024;

const sizeOf = (m: Message) =>
  (m.value == null ? 0 : typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length) +
  (m.key == null ? 0 : typeof m.key === 'string' ? Buffer.byteLength(m.key) : m.key.length);

type Item = { topic: string; message: Message; done: (error?: Error) => void };

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
  private queue: Item[] = [];
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

  private async sendBatch(batch: { topic: string; message: Message }[], compress = false): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const item of batch) byTopic.set(item.topic, [...(byTopic.get(item.topic) ?? []), item.message]);
    const send = () =>
      this.producer.sendBatch({
        acks: this.options.acks,
        ...(compress ? { compression: CompressionTypes.GZIP } : {}),
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
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

  /**
   * Sends a batch and settles each item, in order: a large message on its own (compressed) request, the runs of
   * small ones between them together. If the broker refuses a shared request as too large (many small records on
   * one partition), its halves are sent again separately until the one that is too large fails alone; the
   * neighbours succeed (one on another partition may then be written twice — same message id, which consumers'
   * inboxes skip).
   */
  private async settle(batch: Item[]): Promise<void> {
    const together = async (items: Item[], compress: boolean): Promise<void> => {
      try {
        await this.sendBatch(items, compress);
        items.forEach((i) => i.done());
      } catch (error) {
        if (items.length > 1 && isMessageTooLargeError(error)) {
          const half = Math.ceil(items.length / 2);
          await together(items.slice(0, half), compress);
          await together(items.slice(half), compress);
        } else items.forEach((i) => i.done(error as Error));
      }
    };
    let run: Item[] = [];
    for (const item of batch) {
      if (sizeOf(item.message) < LARGE_MESSAGE_BYTES) {
        run.push(item);
        continue;
      }
      if (run.length) await together(run, false);
      run = [];
      await together([item], true);
    }
    if (run.length) await together(run, false);
  }

  private drain(): void {
    while (this.queue.length && this.inFlight < this.options.maxInFlight) {
      const batch = this.queue.splice(0, this.options.maxBatch ?? 500);
      this.inFlight += 1;
      this.settle(batch)
        .catch((error: Error) => batch.forEach((item) => item.done(error)))
        .finally(() => {
          this.inFlight -= 1;
          this.drain();
        });
    }
  }
}
