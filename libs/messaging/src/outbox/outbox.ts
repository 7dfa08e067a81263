import { DataSource, EntityManager } from 'typeorm';
import { Envelope, createEnvelope, topicByName } from '@receptionist/contracts';
import { injectTraceHeaders } from '@receptionist/observability';
import { OutboxMessageEntity } from './outbox-message.entity';

export interface OutboxEvent<T = unknown> {
  topic: string;
  key: string | null;
  companyId: string | null;
  subject: string | null;
  data: T;
  /**
   * The envelope id, when derived from what identifies the fact (`messageIdFrom`): the outbox's unique message id
   * then refuses a second copy (`isDuplicateKeyError`), so a redelivered webhook is written once. Default: random.
   */
  id?: string;
}

/**
 * Writes facts into the outbox inside the caller's transaction. `transaction()` also wakes the relay after
 * commit, so publication does not wait for the next poll.
 */
export class Outbox {
  private wake: () => void = () => undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly source: string,
  ) {}

  onCommitted(wake: () => void) {
    this.wake = wake;
  }

  /** Adds one event; validates its data against the topic catalogue so a bad fact is never written. */
  async add<T>(manager: EntityManager, event: OutboxEvent<T>): Promise<Envelope<T>> {
    const def = topicByName(event.topic);
    if (def) {
      const parsed = def.schema.safeParse(event.data);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`outbox: invalid ${event.topic} data at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
      }
    }
    const envelope = createEnvelope({
      id: event.id,
      type: event.topic,
      source: this.source,
      companyId: event.companyId,
      subject: event.subject,
      data: event.data,
      schemaVersion: def?.schemaVersion ?? 1,
    });
    await manager.insert(OutboxMessageEntity, {
      messageId: envelope.id,
      topic: event.topic,
      messageKey: event.key,
      payload: JSON.stringify(envelope),
      headers: JSON.stringify(injectTraceHeaders({})),
      createdAt: new Date(),
      publishedAt: null,
    });
    return envelope;
  }

  /** Runs `work` in a transaction; events added through `publish` commit with it. */
  async transaction<R>(
    work: (manager: EntityManager, publish: <T>(event: OutboxEvent<T>) => Promise<Envelope<T>>) => Promise<R>,
  ): Promise<R> {
    const result = await this.dataSource.transaction((manager) =>
      work(manager, (event) => this.add(manager, event)),
    );
    this.wake();
    return result;
  }
}
