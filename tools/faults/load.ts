import { signLikeRetell, signStripePayload } from '@receptionist/simulators';
import { DEMO_AGENT, DEMO_NUMBER, FaultPlatform, RETELL_KEY, STRIPE_WEBHOOK_SECRET } from './platform';

/** How one request of the load was answered. */
export type Outcome = 'ok' | 'fallback' | 'refused' | 'declined';

export interface Attempt {
  what: string;
  startedAt: number;
  endedAt: number;
  status: number;
  outcome: Outcome;
}

/** One call placed by the Retell simulator, and what the caller was told. */
export interface PlacedCall {
  callId: string;
  caller: string;
  startsAt: string;
  durationMs: number;
  placedAt: number;
  endedAt: number;
  /** `call_ended` was acknowledged (2xx): the call must be recorded and billed. */
  endedAcknowledged: boolean;
  /** The caller heard "booked": this appointment must exist, once, in Cal.com and with one confirmation. */
  appointmentId?: string;
  /** Times the caller was promised a call back (one callback request per promise: per tool call). */
  callbacksPromised: number;
  steps: { name: string; status: number; outcome: Outcome }[];
}

export interface TopUp {
  topUpId: string;
  sessionId: string;
  amount: number;
  paidAt: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** dd.mm.yyyy and HH:MM (Berlin) of the salon's bookable slots, from three days ahead, each used once. */
function* slots(): Generator<{ datum: string; uhrzeit: string }> {
  const hours: Record<number, [number, number]> = { 2: [10, 18], 3: [10, 18], 4: [10, 18], 5: [10, 18], 6: [9, 13] };
  for (let day = 3; day < 58; day++) {
    const d = new Date(Date.now() + day * 86400_000);
    const open = hours[d.getUTCDay()];
    if (!open) continue;
    const datum = `${String(d.getUTCDate()).padStart(2, '0')}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${d.getUTCFullYear()}`;
    // A Haarschnitt takes 45 minutes: one slot every 45 minutes leaves no overlap between two callers' bookings.
    for (let m = open[0] * 60; m + 45 <= open[1] * 60; m += 45) yield { datum, uhrzeit: `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}` };
  }
}

function outcomeOf(status: number, body: any): Outcome {
  if (status < 200 || status >= 300) return 'refused';
  if (body?.success) return 'ok';
  // The gateway's fallback (no answer within the deadline) and voice-agent's own (the calendar unreachable).
  if (body?.code === 'timeout' || body?.code === 'unavailable' || body?.code === 'calendar_unavailable') return 'fallback';
  return 'declined';
}

async function post(url: string, body: string, headers: Record<string, string>, timeoutMs = 15_000): Promise<number> {
  try {
    const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/**
 * A steady, bounded load: callers phone the demo salon (check availability, then book a slot no one else asks for;
 * whole-minute calls so the bill is exact), every fourth call's webhooks are sent again twice, in reverse order; the
 * business tops up its balance through Stripe Checkout, and each Stripe event is delivered three times.
 */
export class Load {
  readonly calls: PlacedCall[] = [];
  readonly attempts: Attempt[] = [];
  readonly topUps: TopUp[] = [];
  private running = false;
  private workers: Promise<void>[] = [];
  private readonly slot = slots();
  /** Slots of calls that never reached the platform (connection refused throughout): asked for again. */
  private readonly unused: { datum: string; uhrzeit: string }[] = [];
  private seq = 0;

  constructor(
    private readonly platform: FaultPlatform,
    /** `bookEvery`: every n-th call books (the others only ask), so a long run does not use up the calendar. */
    private readonly options: { callers: number; pauseMs: number; topUpEveryMs: number; bookEvery: number } = { callers: 2, pauseMs: 300, topUpEveryMs: 6000, bookEvery: 1 },
  ) {}

  /** The next unused slot without taking it. */
  private peek(): { datum: string; uhrzeit: string } | undefined {
    const next = this.slot.next().value;
    if (next) this.unused.unshift(next);
    return next;
  }

  start(): void {
    this.running = true;
    for (let i = 0; i < this.options.callers; i++) this.workers.push(this.callLoop());
    this.workers.push(this.topUpLoop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
    this.workers = [];
  }

  private async callLoop(): Promise<void> {
    while (this.running) {
      await this.placeCall().catch(() => undefined);
      await sleep(this.options.pauseMs);
    }
  }

  private async topUpLoop(): Promise<void> {
    while (this.running) {
      await this.topUp().catch(() => undefined);
      const until = Date.now() + this.options.topUpEveryMs;
      while (this.running && Date.now() < until) await sleep(200);
    }
  }

  async placeCall(): Promise<PlacedCall | undefined> {
    const n = ++this.seq;
    const books = n % this.options.bookEvery === 0;
    // A call that only asks takes a slot that stays free: the next booking's.
    const next = books ? (this.unused.shift() ?? this.slot.next().value) : (this.unused[0] ?? this.peek());
    if (!next) return undefined;
    const { datum, uhrzeit } = next;
    const caller = `+49170${String(4000000 + n * 7 + (process.pid % 7)).padStart(7, '0')}`;
    const durationMs = (1 + (n % 3)) * 60_000;
    const placedAt = Date.now();
    let res: Response;
    try {
      res = await fetch(`${this.platform.retell.url}/__sim/retell/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          agentId: DEMO_AGENT,
          fromNumber: caller,
          toNumber: DEMO_NUMBER,
          baseUrl: this.platform.gatewayUrl,
          apiKey: RETELL_KEY,
          durationMs,
          steps: [
            { name: 'check_availability', args: { dienstleistung: 'Haarschnitt', datum, uhrzeit } },
            ...(books ? [{ name: 'book_appointment', args: { name: `Anrufer ${n}`, dienstleistung: 'Haarschnitt', datum, uhrzeit } }] : []),
          ],
        }),
        signal: AbortSignal.timeout(120_000),
      });
    } catch {
      return undefined;
    }
    if (res.status !== 200) return undefined;
    const placed = (await res.json()) as any;
    const endedAt = Date.now();
    // The simulator reports each step's latency; its start is reconstructed from the call's start.
    let t = placedAt;
    const steps = placed.steps.map((s: any) => {
      const outcome = outcomeOf(s.status, s.body);
      const startedAt = t;
      t += s.latencyMs ?? 0;
      this.attempts.push({ what: s.name, startedAt, endedAt: t, status: s.status, outcome });
      return { name: s.name, status: s.status, outcome, body: s.body };
    });
    for (const w of placed.webhooks) this.attempts.push({ what: w.event, startedAt: endedAt, endedAt, status: w.status, outcome: w.status >= 200 && w.status < 300 ? 'ok' : 'refused' });
    if (books && placed.inbound?.status === 0 && steps.every((st: any) => st.status === 0)) {
      // The gateway was not even listening: nothing can have been booked. The slot is asked for again, and the load
      // waits a moment instead of spinning through the calendar.
      this.unused.push(next);
      await sleep(1000);
    }
    const book = steps[1];
    const call: PlacedCall = {
      callId: placed.call.call_id,
      caller,
      startsAt: `${datum} ${uhrzeit}`,
      durationMs,
      placedAt,
      endedAt,
      endedAcknowledged: placed.webhooks.some((w: any) => w.event === 'call_ended' && w.status >= 200 && w.status < 300),
      appointmentId: book?.outcome === 'ok' && book.body?.data?.booked ? book.body.data.appointmentId : undefined,
      // Every answer that told the caller "we will call you back" (the gateway's or voice-agent's fallback, or nothing free).
      callbacksPromised: steps.filter((s: any) => s.status >= 200 && s.status < 300 && s.body?.data?.callbackRecorded === true).length,
      steps: steps.map(({ name, status, outcome }: any) => ({ name, status, outcome })),
    };
    this.calls.push(call);
    // Retell delivers at least once: every fourth call's webhooks come again, twice, newest first.
    if (n % 4 === 0) {
      for (let round = 0; round < 2; round++) {
        for (const w of [...placed.webhooks].reverse()) {
          const body = JSON.stringify(w.payload);
          const status = await post(`${this.platform.gatewayUrl}/api/webhooks/retell`, body, { 'content-type': 'application/json', 'x-retell-signature': signLikeRetell(body, RETELL_KEY) });
          this.attempts.push({ what: `${w.event} (again)`, startedAt: Date.now(), endedAt: Date.now(), status, outcome: status >= 200 && status < 300 ? 'ok' : 'refused' });
        }
      }
    }
    return call;
  }

  /** A top-up through Stripe Checkout, paid, its `checkout.session.completed` delivered three times in all. */
  async topUp(): Promise<void> {
    const created = await this.platform.admin('POST', `/api/v1/companies/${this.platform.companyId}/billing/top-ups`, { amount: 2500, currency: 'EUR' });
    this.attempts.push({ what: 'top-up', startedAt: Date.now(), endedAt: Date.now(), status: created.status, outcome: created.status === 201 || created.status === 200 ? 'ok' : 'refused' });
    if (created.status !== 201 && created.status !== 200) return;
    const sessionId = /\/c\/pay\/([^/?#]+)/.exec(created.body.checkoutUrl ?? '')?.[1];
    if (!sessionId) return;
    const paid = await fetch(`${this.platform.stripe.url}/__sim/stripe/checkout/sessions/${sessionId}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'paid' }),
    });
    if (paid.status !== 200) return;
    this.topUps.push({ topUpId: created.body.topUpId, sessionId, amount: 2500, paidAt: Date.now() });
    const event = [...this.platform.stripe.state.events].reverse().find((e: any) => e.type === 'checkout.session.completed' && e.data?.object?.id === sessionId);
    if (!event) return;
    // Stripe's own duplicates: the same event (same id), signed afresh.
    for (let i = 0; i < 2; i++) {
      const body = JSON.stringify(event);
      const status = await post(`${this.platform.gatewayUrl}/api/webhooks/stripe`, body, { 'content-type': 'application/json', 'stripe-signature': signStripePayload(body, STRIPE_WEBHOOK_SECRET) });
      this.attempts.push({ what: 'stripe event (again)', startedAt: Date.now(), endedAt: Date.now(), status, outcome: status >= 200 && status < 300 ? 'ok' : 'refused' });
    }
  }

  /** Requests answered between two instants (for a fault's row). */
  between(from: number, to: number): Attempt[] {
    return this.attempts.filter((a) => a.endedAt >= from && a.startedAt <= to);
  }

  /** The first voice function answered 'ok' that started after `from`. */
  firstSuccessAfter(from: number): number | undefined {
    const ok = this.attempts.filter((a) => a.startedAt >= from && a.outcome === 'ok' && (a.what === 'check_availability' || a.what === 'book_appointment'));
    return ok.length ? Math.min(...ok.map((a) => a.endedAt)) : undefined;
  }
}
