import { ALL_TOPICS, dlqTopicName } from '@receptionist/contracts';
import { H } from '@receptionist/messaging';
import { testKafkaOn } from '@receptionist/testing';
import type { FaultPlatform } from './platform';
import type { Load, PlacedCall } from './load';

/** The demo company's price per minute of talk time (deploy/demo/company.yaml), in cents. */
export const PER_MINUTE_MINOR = 29;

/** What the outside shows of the promise: effects missing so far, effects that happened twice, and the counts. */
export interface AuditResult {
  missing: string[];
  doubles: string[];
  counts: Record<string, number>;
}

const mentions = (entry: unknown, id: string) => JSON.stringify(entry).includes(id);

/** Every ledger entry of the company, newest first (the ledger pages by `before`). */
async function ledger(p: FaultPlatform): Promise<any[]> {
  const out: any[] = [];
  let before: number | undefined;
  for (let page = 0; page < 500; page++) {
    const res = await p.admin('GET', `/api/v1/companies/${p.companyId}/billing/ledger?limit=200${before ? `&before=${before}` : ''}`);
    if (res.status !== 200) throw new Error(`ledger: ${res.status} ${JSON.stringify(res.body)}`);
    out.push(...(res.body.data ?? []));
    before = res.body.next ?? undefined;
    if (!before) break;
  }
  return out;
}

/**
 * Compares what the callers were told with what the platform did, from the outside only: the admin API (calls,
 * ledger, appointments, callback requests), the Cal.com simulator's bookings and the Twilio simulator's messages.
 * `calls` limits the expectations to those calls (the backlog of one fault); doubles are always looked for everywhere.
 */
export async function audit(p: FaultPlatform, load: Load, calls: PlacedCall[] = load.calls): Promise<AuditResult> {
  const missing: string[] = [];
  const doubles: string[] = [];
  let unheard = 0;
  const [entries, appointments, callbacks, records] = await Promise.all([
    ledger(p),
    p.adminList(`/api/v1/companies/${p.companyId}/appointments`),
    p.adminList(`/api/v1/companies/${p.companyId}/callback-requests`),
    p.adminList(`/api/v1/companies/${p.companyId}/calls`),
  ]);
  const usage = entries.filter((e) => e.kind === 'usage');
  const fees = entries.filter((e) => e.kind === 'fee');
  const bookings = [...p.calcom.state.bookings.values()].filter((b: any) => b.status === 'accepted');
  const messages = [...(p.twilio.state.messages as any[])].filter((m) => m.direction === 'outbound-api');

  for (const call of calls) {
    if (call.endedAcknowledged) {
      const kept = records.filter((r) => r.callId === call.callId);
      if (kept.length === 0 || !kept[0].endedAt) missing.push(`call ${call.callId}: no ended call record`);
      if (kept.length > 1) doubles.push(`call ${call.callId}: ${kept.length} call records`);
      const debits = usage.filter((e) => mentions(e, call.callId));
      if (debits.length === 0) missing.push(`call ${call.callId}: not debited`);
      if (debits.length > 1) doubles.push(`call ${call.callId}: debited ${debits.length} times`);
      const expected = (PER_MINUTE_MINOR * call.durationMs) / 60_000;
      for (const d of debits) {
        const amount = Math.abs(Number(d.amountMinor ?? d.amount));
        if (amount !== expected) doubles.push(`call ${call.callId}: debited ${amount} cents, not ${expected}`);
      }
    }
    if (call.appointmentId && call.endedAcknowledged) {
      const charged = fees.filter((e) => mentions(e, call.callId));
      if (charged.length === 0) missing.push(`call ${call.callId}: booking fee not charged`);
      if (charged.length > 1) doubles.push(`call ${call.callId}: booking fee charged ${charged.length} times`);
    }
    if (call.appointmentId) {
      const id = call.appointmentId;
      const inCalcom = bookings.filter((b: any) => b.metadata?.appointmentId === id);
      if (inCalcom.length === 0) missing.push(`appointment ${id}: no Cal.com booking`);
      if (inCalcom.length > 1) doubles.push(`appointment ${id}: ${inCalcom.length} Cal.com bookings`);
      if (!appointments.some((a) => a.appointmentId === id || a.id === id)) missing.push(`appointment ${id}: not in the admin API`);
      const sms = messages.filter((m) => m.to === call.caller);
      if (sms.length === 0) missing.push(`appointment ${id}: no confirmation to ${call.caller}`);
      if (sms.length > 1) doubles.push(`appointment ${id}: ${sms.length} messages to ${call.caller}`);
    }
    // A callback request for every promise (a promise is one tool call's; Retell's retry of it is the same one). More
    // requests than promises heard are not doubles: a fallback answered after Retell's tool timeout is recorded
    // although Retell retried and the caller heard the retry's answer; they are counted as `unheardCallbacks`.
    const recorded = callbacks.filter((c) => c.callId === call.callId).length;
    if (recorded < call.callbacksPromised) missing.push(`call ${call.callId}: ${call.callbacksPromised} callbacks promised, ${recorded} recorded`);
    if (recorded > call.callbacksPromised) unheard += recorded - call.callbacksPromised;
  }
  // The hostile burst's forged and oversized webhooks left no trace.
  for (const r of records) if (/^call_(forged|huge)_/.test(String(r.callId))) doubles.push(`call ${r.callId}: recorded from a refused webhook`);
  for (const e of entries) if (/call_(forged|huge)_/.test(JSON.stringify(e))) doubles.push(`ledger ${e.seq}: posted from a refused webhook`);
  // No slot twice: the load asks for each slot once, so two accepted Cal.com bookings at one time are a double booking.
  const byStart = new Map<string, number>();
  for (const b of bookings) byStart.set(String(b.start), (byStart.get(String(b.start)) ?? 0) + 1);
  for (const [start, n] of byStart) if (n > 1) doubles.push(`slot ${start}: ${n} accepted Cal.com bookings`);
  // Cal.com agrees with our appointments: each active appointment has its booking, and each booking its appointment.
  const active = appointments.filter((a) => a.status === 'booked');
  for (const a of active) {
    const id = a.appointmentId ?? a.id;
    if (!bookings.some((b: any) => b.metadata?.appointmentId === id)) missing.push(`appointment ${id} (${a.status}): no accepted Cal.com booking`);
  }
  for (const b of bookings) {
    const id = b.metadata?.appointmentId;
    if (!id || !appointments.some((a) => (a.appointmentId ?? a.id) === id)) missing.push(`Cal.com booking ${b.uid}: no appointment of ours`);
  }
  for (const t of load.topUps) {
    const credits = entries.filter((e) => e.kind !== 'usage' && (mentions(e, t.topUpId) || mentions(e, t.sessionId)) && Number(e.amountMinor ?? e.amount) > 0);
    const credit = credits.filter((e) => e.kind === 'topup' || e.kind === 'top_up' || /top/.test(String(e.kind)));
    if (credit.length === 0) missing.push(`top-up ${t.topUpId}: not credited`);
    if (credit.length > 1) doubles.push(`top-up ${t.topUpId}: credited ${credit.length} times`);
  }
  return {
    missing,
    doubles,
    counts: {
      calls: calls.length,
      callRecords: records.length,
      debits: usage.length,
      fees: fees.length,
      appointments: appointments.length,
      calcomBookings: bookings.length,
      messages: messages.length,
      callbacks: callbacks.length,
      unheardCallbacks: unheard,
      topUps: load.topUps.length,
    },
  };
}

/** Every record on the platform's dead-letter topics (the private broker's), with the reason it was given up on. */
export interface DeadLetterRecord {
  topic: string;
  value: string;
  reason?: string;
  /** The consumer group that gave up on it: each group that reads the topic dead-letters a poison record once. */
  group?: string;
}

export async function deadLetters(p: FaultPlatform): Promise<DeadLetterRecord[]> {
  const kafka = testKafkaOn(p.kafka.brokers);
  const admin = kafka.admin();
  await admin.connect();
  const topics = ALL_TOPICS.map((t) => dlqTopicName(t.name));
  const out: DeadLetterRecord[] = [];
  try {
    const withRecords: string[] = [];
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      if (offsets.some((o) => Number(o.high) > Number(o.low))) withRecords.push(topic);
    }
    if (withRecords.length === 0) return out;
    const consumer = kafka.consumer({ groupId: `faults-audit-${Date.now()}` });
    await consumer.connect();
    const expected = new Map<string, number>();
    for (const topic of withRecords) {
      const offsets = await admin.fetchTopicOffsets(topic);
      expected.set(topic, offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0));
    }
    await consumer.subscribe({ topics: withRecords, fromBeginning: true });
    const total = [...expected.values()].reduce((a, b) => a + b, 0);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 30_000);
      void consumer.run({
        eachMessage: async ({ topic, message }) => {
          const reason = message.headers?.[H.dltExceptionMessage]?.toString();
          const group = message.headers?.[H.dltOriginalGroup]?.toString();
          out.push({ topic, value: message.value?.toString() ?? '', reason, group });
          if (out.length >= total) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    return out;
  } finally {
    await admin.disconnect();
  }
}
