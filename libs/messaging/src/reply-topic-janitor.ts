import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';

export interface ReplyTopicJanitorOptions {
  logger: Logger;
  /** Requesting services whose reply topics (`<service>.replies.<instance>`) are looked after. */
  services: string[];
  /** A reply topic whose instance has sent no heartbeat for this long is deleted. */
  orphanAfterMs: number;
  /** Last heartbeat time (ms) per `<service>/<instance>` of the instances heard from recently. */
  lastHeartbeats: () => Promise<Map<string, number>>;
}

/**
 * Deletes the reply topics of requester instances that are gone. An instance deletes its own reply topic when it
 * stops cleanly; one that crashed (kill -9, lost node) leaves it behind, one topic per crash, for good. A topic is
 * deleted only when its instance has not sent a heartbeat for `orphanAfterMs`; a topic whose instance was never
 * heard of is deleted `orphanAfterMs` after this janitor first saw it (a new instance heartbeats within seconds).
 * A live instance whose topic was deleted anyway recreates it (RequestClient's consumer, see SupervisedConsumer).
 */
export class ReplyTopicJanitor {
  private readonly firstSeen = new Map<string, number>();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: ReplyTopicJanitorOptions,
  ) {}

  /** One pass; returns the topics deleted. */
  async sweep(now = Date.now()): Promise<string[]> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).map((topic) => ({ topic, owner: this.ownerOf(topic) })).filter((t) => t.owner);
      const heartbeats = await this.options.lastHeartbeats();
      const orphans: string[] = [];
      const present = new Set(topics.map((t) => t.topic));
      for (const seen of this.firstSeen.keys()) if (!present.has(seen)) this.firstSeen.delete(seen);
      for (const { topic, owner } of topics) {
        const last = heartbeats.get(owner!);
        if (last !== undefined && now - last < this.options.orphanAfterMs) {
          this.firstSeen.delete(topic);
          continue;
        }
        if (!this.firstSeen.has(topic)) this.firstSeen.set(topic, now);
        // Silent since its last heartbeat, or (never heard of) since this janitor first saw the topic.
        const silentSince = last ?? this.firstSeen.get(topic)!;
        if (now - silentSince >= this.options.orphanAfterMs) orphans.push(topic);
      }
      if (orphans.length) {
        await admin.deleteTopics({ topics: orphans });
        for (const t of orphans) this.firstSeen.delete(t);
        this.options.logger.info({ topics: orphans }, 'deleted reply topics of instances that are gone');
      }
      return orphans;
    } finally {
      await admin.disconnect();
    }
  }

  /** `<service>/<instance>` for a reply topic of a looked-after service, else null. */
  private ownerOf(topic: string): string | null {
    for (const service of this.options.services) {
      const prefix = `${service}.replies.`;
      if (topic.startsWith(prefix) && topic.length > prefix.length) return `${service}/${topic.slice(prefix.length)}`;
    }
    return null;
  }
}
