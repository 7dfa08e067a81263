import { CompressionTypes, type Kafka, type Producer, type IHeaders } from 'kafkajs';
import { Envelope } from '@receptionist/contracts';
import { SpanKind, injectTraceHeaders, producedMessages, withSpan } from '@receptionist/observability';
import { H } from './headers';
import { LARGE_MESSAGE_BYTES, SendQueue } from './send-queue';

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
  /** One request in flight (idempotent, ordered); what is published meanwhile leaves together. */
  private readonly sender: SendQueue;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.sender = new SendQueue(this.producer, { acks: -1, maxInFlight: 1 });
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
        await this.sender.send(message.topic, toKafkaMessage({ ...message, headers }));
        producedMessages().inc({ topic: message.topic });
      },
    );
  }

  /** Raw send for already-built Kafka messages (dead letters keep their original headers); large ones compressed. */
  async sendRaw(topic: string, messages: { key: string | Buffer | null; value: string | Buffer | null; headers?: IHeaders }[]) {
    const bytes = messages.reduce((n, m) => n + (m.value == null ? 0 : typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length), 0);
    await this.producer.send({ topic, acks: -1, messages, ...(bytes >= LARGE_MESSAGE_BYTES ? { compression: CompressionTypes.GZIP } : {}) });
    producedMessages().inc({ topic }, messages.length);
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await this.producer.disconnect();
  }
}
