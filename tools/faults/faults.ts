import { randomUUID } from 'node:crypto';
import { Topics } from '@receptionist/contracts';
import { signLikeRetell } from '@receptionist/simulators';
import { testKafkaOn } from '@receptionist/testing';
import { CONSUMERS, FaultPlatform, RETELL_KEY, ServiceName } from './platform';
import type { Load } from './load';

/** What a fault leaves behind for the audit besides the load's own expectations. */
export interface FaultContext {
  /** Message ids deliberately made unprocessable: the only ones allowed on dead-letter topics. */
  poison: string[];
  /** Requests the fault itself sent that had to be refused (bad signature, malformed, oversized), and how many were. */
  hostile: { sent: number; refused: number };
}

export interface Fault {
  name: string;
  /** Part of the CI form (the int-spec). */
  short?: boolean;
  /** Makes the fault and undoes it; resolves when it has ended (the instant recovery is measured from). */
  run(p: FaultPlatform, load: Load, ctx: FaultContext): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function killOne(service: ServiceName, short = false, downMs = 3000): Fault {
  return {
    name: `kill -9 one ${service} instance`,
    short,
    async run(p) {
      const [first] = p.of(service);
      await p.kill(first);
      await sleep(downMs);
      // The other instance serves meanwhile; the replacement boots while the suite goes on, as a restarted pod would.
      await p.restart(first, false);
    },
  };
}

function killAll(service: ServiceName, short = false, downMs = 3000): Fault {
  const instances = service === 'gateway' ? 'the gateway' : `both ${service} instances`;
  return {
    name: `kill -9 ${instances}`,
    short,
    async run(p) {
      const all = p.of(service);
      await Promise.all(all.map((i) => p.kill(i)));
      await sleep(downMs);
      await Promise.all(all.map((i) => p.restart(i)));
    },
  };
}

function provider(name: 'calcom' | 'stripe' | 'twilio', mode: 'slow' | 'error' | 'throttle' | 'down', forMs: number, short = false): Fault {
  const label = { slow: 'slow (12 s, past our timeouts)', error: 'failing (500)', throttle: '429 with Retry-After', down: 'down (503)' }[mode];
  return {
    name: `${{ calcom: 'Cal.com', stripe: 'Stripe', twilio: 'Twilio' }[name]} ${label} for ${forMs / 1000} s`,
    short,
    async run(p) {
      p[name].setFault({ mode, delayMs: 12_000, retryAfterSeconds: 2 });
      await sleep(forMs);
      p[name].setFault({ mode: 'normal' });
    },
  };
}

/** The fault catalogue of issue 14, in the order the full form runs it; `short` marks the CI form's. */
export function catalogue(options: { redisDownMs: number } = { redisDownMs: 30_000 }): Fault[] {
  return [
    killOne('booking', true),
    killAll('billing', true),
    ...CONSUMERS.filter((s) => s !== 'booking').map((s) => killOne(s)),
    ...CONSUMERS.filter((s) => s !== 'billing').map((s) => killAll(s)),
    killAll('gateway'),
    {
      name: 'Kafka broker kill -9 and restart',
      short: true,
      async run(p) {
        await p.kafka.kill();
        await sleep(1000);
        await p.kafka.start();
      },
    },
    {
      name: 'Kafka broker stopped (SIGTERM) 10 s',
      async run(p) {
        await p.kafka.stop();
        await sleep(10_000);
        await p.kafka.start();
      },
    },
    {
      name: 'Kafka broker frozen (SIGSTOP) 10 s',
      async run(p) {
        process.kill(p.kafka.pid!, 'SIGSTOP');
        await sleep(10_000);
        process.kill(p.kafka.pid!, 'SIGCONT');
      },
    },
    {
      name: 'MariaDB restart',
      short: true,
      async run(p) {
        await p.mariadb.stop();
        await p.mariadb.start();
      },
    },
    {
      name: 'MariaDB kill -9 and restart',
      async run(p) {
        await p.mariadb.kill();
        await sleep(2000);
        await p.mariadb.start();
      },
    },
    {
      name: `Redis stopped ${options.redisDownMs / 1000} s`,
      short: true,
      async run(p) {
        await p.redis.stop();
        await sleep(options.redisDownMs);
        await p.redis.start();
      },
    },
    provider('calcom', 'throttle', 8000, true),
    provider('calcom', 'down', 8000, true),
    provider('calcom', 'error', 10_000),
    provider('calcom', 'slow', 15_000),
    provider('stripe', 'throttle', 10_000),
    provider('stripe', 'error', 10_000),
    provider('stripe', 'down', 10_000),
    provider('stripe', 'slow', 15_000),
    provider('twilio', 'throttle', 10_000),
    provider('twilio', 'error', 10_000),
    provider('twilio', 'down', 10_000),
    provider('twilio', 'slow', 15_000),
    {
      name: 'every webhook again, twice, newest first (last 6 calls)',
      short: true,
      async run(p, load, ctx) {
        await replayWebhooks(p, load.calls.slice(-6).map((c) => c.callId), ctx);
      },
    },
    {
      name: 'burst of bad signatures, malformed and oversized bodies',
      async run(p, _load, ctx) {
        await hostileBurst(p, ctx);
      },
    },
    {
      name: 'poison message on call.completed',
      short: true,
      async run(p, _load, ctx) {
        ctx.poison.push(await poison(p));
      },
    },
  ];
}

/** Faults that cannot be made on these machines, and why (the report names them). */
export const NOT_MADE: { fault: string; reason: string }[] = [
  { fault: 'network partition between services (packet loss, one-way)', reason: 'needs root and netfilter/tc on a shared host; every process here talks over one loopback' },
  { fault: 'Kafka leader election / under-replicated partitions', reason: 'the private broker is a single KRaft node (as locally and in CI); a three-broker cluster does not fit 2 cores beside the platform' },
  { fault: 'disk full on MariaDB or Kafka', reason: 'needs a size-limited filesystem (loop mount or tmpfs quota), which needs root' },
  { fault: 'clock skew between services', reason: 'all processes share the host clock; faking time per process would be a test-only code path' },
];

/** The Retell webhooks of these calls (as the simulator sent them) sent again, twice, newest first. */
async function replayWebhooks(p: FaultPlatform, callIds: string[], ctx: FaultContext): Promise<void> {
  for (const callId of callIds) {
    const call = p.retell.state.calls.get(callId);
    if (!call) continue;
    const events = [
      { event: 'call_analyzed', call: { ...call, call_type: 'phone_call' } },
      { event: 'call_ended', call: { ...call, call_analysis: undefined, call_type: 'phone_call' } },
      { event: 'call_started', call: { ...call, call_analysis: undefined, transcript_object: undefined, call_type: 'phone_call' } },
    ];
    for (let round = 0; round < 2; round++) {
      for (const e of events) {
        const body = JSON.stringify(e);
        const res = await fetch(`${p.gatewayUrl}/api/webhooks/retell`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-retell-signature': signLikeRetell(body, RETELL_KEY) },
          body,
        }).catch(() => undefined);
        await res?.arrayBuffer();
        if (!res || res.status >= 300) ctx.hostile.refused += 0; // a refused duplicate is retried by Retell; the audit judges the effect
      }
    }
  }
}

/** 40 bad signatures, 10 signed malformed bodies and one oversized body, to each webhook route: all refused, no trace. */
async function hostileBurst(p: FaultPlatform, ctx: FaultContext): Promise<void> {
  const send = async (route: string, body: string, headers: Record<string, string>) => {
    ctx.hostile.sent += 1;
    const res = await fetch(`${p.gatewayUrl}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).catch(() => undefined);
    await res?.arrayBuffer().catch(() => undefined);
    if (!res || res.status >= 400) ctx.hostile.refused += 1;
  };
  const fake = JSON.stringify({ event: 'call_ended', call: { call_id: `call_forged_${randomUUID()}`, agent_id: 'agent_demo_schnittpunkt', duration_ms: 600_000 } });
  for (let i = 0; i < 10; i++) {
    await send('/api/webhooks/retell', fake, { 'x-retell-signature': `v=${Date.now()},d=${'0'.repeat(64)}` });
    await send('/api/webhooks/stripe', fake, { 'stripe-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` });
    await send('/api/calcom/webhook', fake, { 'x-cal-signature-256': '0'.repeat(64) });
    await send('/api/webhooks/twilio/status', 'MessageSid=SM1&MessageStatus=delivered', { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'AAAA' });
  }
  for (let i = 0; i < 10; i++) {
    const malformed = i % 2 ? '{"event": "call_ended", "call": ' : JSON.stringify({ event: 'call_ended', call: { call_id: 42 } });
    await send('/api/webhooks/retell', malformed, { 'x-retell-signature': signLikeRetell(malformed, RETELL_KEY) });
  }
  const huge = JSON.stringify({ event: 'call_ended', call: { call_id: `call_huge_${randomUUID()}`, transcript: 'x'.repeat(8 * 1024 * 1024) } });
  await send('/api/webhooks/retell', huge, { 'x-retell-signature': signLikeRetell(huge, RETELL_KEY) });
}

/** A record on call.completed that no consumer can ever process (not an envelope): it must be dead-lettered, once. */
async function poison(p: FaultPlatform): Promise<string> {
  const marker = `poison-${randomUUID()}`;
  const producer = testKafkaOn(p.kafka.brokers).producer();
  await producer.connect();
  await producer.send({ topic: Topics.callCompleted.name, messages: [{ key: marker, value: `{"not an envelope": "${marker}"` }] });
  await producer.disconnect();
  return marker;
}
