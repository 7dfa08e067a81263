import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { Topics } from '@receptionist/contracts';
import { TopicTail, type KafkaClient } from '@receptionist/messaging';
import { KAFKA, LOGGER, MessagingRuntime } from '@receptionist/service-runtime';

/** The facts a company's console follows live: calls in progress and done, bookings, money. */
export const LIVE_TOPICS = [
  Topics.callStarted.name,
  Topics.callCompleted.name,
  Topics.callAnalyzed.name,
  Topics.bookingCreated.name,
  Topics.bookingRescheduled.name,
  Topics.bookingCancelled.name,
  Topics.paymentSucceeded.name,
  Topics.balanceLow.name,
  Topics.balanceExhausted.name,
  Topics.balanceRestored.name,
];

/**
 * What a live subscriber is told: which fact, about what, when — never the fact's data (names, numbers,
 * amounts). The console asks the API for what changed, so each page still shows only what the viewer's
 * abilities allow.
 */
export interface LiveEvent {
  type: string;
  subject: string | null;
  time: string;
}
/** One open stream: `send` a fact, `end` it when this instance shuts down (so shutdown never waits on a browser). */
export interface LiveListener {
  send(event: LiveEvent): void;
  end(): void;
}

/**
 * Fans the company-scoped facts out to the browsers connected to this gateway instance. Every instance reads
 * every fact (its own consumer group, from the end, nothing committed that matters), because each holds its own
 * connections; a fact of a company with no viewer here is dropped.
 */
@Injectable()
export class LiveEventsHub implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly listeners = new Map<string, Set<LiveListener>>();
  private readonly tail: TopicTail;

  constructor(@Inject(KAFKA) kafka: KafkaClient, @Inject(LOGGER) logger: Logger, messaging: MessagingRuntime) {
    this.tail = new TopicTail(kafka, {
      // the group belongs to this instance only: deleted on stop, so nothing is left behind on the broker
      groupId: `gateway.live.${messaging.instanceId}`,
      topics: LIVE_TOPICS,
      deleteGroupOnStop: true,
      logger,
      onRecord: (record) => this.fanOut(record.value),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.tail.start();
  }

  /** Ends every open stream first: the HTTP server then closes without waiting for browsers to hang up. */
  onModuleDestroy(): void {
    for (const set of this.listeners.values()) for (const listener of set) listener.end();
    this.listeners.clear();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.tail.stop();
  }

  private fanOut(value: Buffer | null): void {
    if (!value || this.listeners.size === 0) return;
    let envelope: { type?: unknown; companyId?: unknown; subject?: unknown; time?: unknown };
    try {
      envelope = JSON.parse(value.toString('utf8'));
    } catch {
      return; // not ours to judge: the owning consumers report malformed messages
    }
    if (typeof envelope.companyId !== 'string' || typeof envelope.type !== 'string') return;
    const event: LiveEvent = { type: envelope.type, subject: typeof envelope.subject === 'string' ? envelope.subject : null, time: String(envelope.time ?? new Date().toISOString()) };
    for (const listener of this.listeners.get(envelope.companyId) ?? []) listener.send(event);
  }

  /** Sends `listener` each fact of `companyId` until the returned function is called. */
  subscribe(companyId: string, listener: LiveListener): () => void {
    let set = this.listeners.get(companyId);
    if (!set) this.listeners.set(companyId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(companyId);
    };
  }
}
