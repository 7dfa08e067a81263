import type { Kafka, Producer, IHeaders } from 'kafkajs';
import { Envelope } from '@receptionist/contracts';
import { SpanKind, injectTraceHeaders, producedMessages, withSpan } from '@receptionist/observability';
import { H } from './headers';

export interface OutgoingMessage {
  topic: string;
  key: string | null;
  envelope: Envelope;
  headers?: Record<string, string>;
}

export function toKafkaMessage(m: OutgoingMessage) {
  const headers: IHeaders = {
    ...(m.headers ?? {}),
    [H.messageId]: m.envelope.id,
    [H.messageType]: m.envelope.type,
  };
  return { key: m.key, value: JSON.stringify(m.envelope), headers };
}

/**
 * Direct producer for messages that need no outbox (replies, dead letters, platform chatter).
 * Facts about state changes go through the outbox instead. Idempotent, acks from all in-sync replicas.
 */
export class MessageProducer {
  private readonly producer: Producer;
  private connected = false;
  /**
   * Messages waiting for the send in flight to finish. With one request in flight (idempotent producer, strict
   * order), everything published meanwhile goes out in the next request: natural batching under load, no added
   * latency when idle.
   */
  private queue: { topic: string; message: ReturnType<typeof toKafkaMessage>; done: (error?: Error) => void }[] = [];
  private sending = false;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.producer.connect();
    this.connected = true;
  }

  get isConnected() {
    return this.connected;
  }

  /** Publishes with a PRODUCER span whose context travels in the headers. */
  async publish(message: OutgoingMessage): Promise<void> {
    await withSpan(
      `send ${message.topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.destination.name': message.topic,
          'messaging.message.id': message.envelope.id,
        },
      },
      async () => {
        const headers = injectTraceHeaders({ ...(message.headers ?? {}) });
        await new Promise<void>((resolve, reject) => {
          this.queue.push({ topic: message.topic, message: toKafkaMessage({ ...message, headers }), done: (e) => (e ? reject(e) : resolve()) });
          void this.drain();
        });
        producedMessages().inc({ topic: message.topic });
      },
    );
  }

  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, 500);
        const byTopic = new Map<string, ReturnType<typeof toKafkaMessage>[]>();
        for (const item of batch) byTopic.set(item.topic, [...(byTopic.get(item.topic) ?? []), item.message]);
        try {
          await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
          for (const item of batch) item.done();
        } catch (error) {
          for (const item of batch) item.done(error as Error);
        }
      }
    } finally {
      this.sending = false;
    }
  }

  /** Raw send for already-built Kafka messages (dead letters keep their original headers). */
  async sendRaw(topic: string, messages: { key: string | Buffer | null; value: string | Buffer | null; headers?: IHeaders }[]) {
    await this.producer.send({ topic, acks: -1, messages });
    producedMessages().inc({ topic }, messages.length);
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect();
  }
}
