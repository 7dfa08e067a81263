/**
 * Which offsets of the partitions a consumer reads may be committed when messages are handled concurrently and
 * finish out of order: per partition, the lowest offset still in flight (or one past the highest handled). A crash
 * then re-reads what was in flight instead of skipping it.
 */
export class CompletedOffsets {
  private readonly partitions = new Map<string, { topic: string; partition: number; inFlight: Set<number>; next: number; committed: number }>();

  private entry(topic: string, partition: number) {
    const key = `${topic}:${partition}`;
    let e = this.partitions.get(key);
    if (!e) this.partitions.set(key, (e = { topic, partition, inFlight: new Set(), next: -1, committed: -1 }));
    return e;
  }

  begin(topic: string, partition: number, offset: string): void {
    const e = this.entry(topic, partition);
    const n = Number(offset);
    e.inFlight.add(n);
    e.next = Math.max(e.next, n + 1);
  }

  done(topic: string, partition: number, offset: string): void {
    this.entry(topic, partition).inFlight.delete(Number(offset));
  }

  /** Offsets to commit now (only those that moved), marked as committed. */
  takeCommittable(): { topic: string; partition: number; offset: string }[] {
    const out: { topic: string; partition: number; offset: string }[] = [];
    for (const e of this.partitions.values()) {
      const safe = e.inFlight.size ? Math.min(...e.inFlight) : e.next;
      if (safe > e.committed) {
        out.push({ topic: e.topic, partition: e.partition, offset: String(safe) });
        e.committed = safe;
      }
    }
    return out;
  }

  /** Gives offsets back after a failed commit, so the next round tries them again. */
  uncommit(offsets: { topic: string; partition: number }[]): void {
    for (const o of offsets) this.entry(o.topic, o.partition).committed = -1;
  }
}
