import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { CalendarRequest, Topics, calendarReplySchema } from '@receptionist/contracts';
import { getOrCreateMetric, registry } from '@receptionist/observability';
import { LOGGER, MessagingRuntime, PollLoop, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { SyncEnv } from '../config';

const findingsTotal = () =>
  getOrCreateMetric('sync_reconciliation_findings_total', () =>
    new Counter({ name: 'sync_reconciliation_findings_total', help: 'Drift found (and repaired) by calendar reconciliation, by kind', labelNames: ['kind'], registers: [registry] }),
  );
const runsTotal = () =>
  getOrCreateMetric('sync_reconciliation_runs_total', () =>
    new Counter({ name: 'sync_reconciliation_runs_total', help: 'Calendar reconciliation runs, by trigger and outcome', labelNames: ['trigger', 'outcome'], registers: [registry] }),
  );

/** Changes made while a run reads are read again by the next one: its cursor is the run's start less this. */
const CURSOR_OVERLAP_MS = 60_000;
/** Calendar requests per batch asked of booking. */
const PAGES_PER_BATCH = 5;

interface BatchReply {
  findings: { kind: string; calcomBookingUid: string; appointmentId: string | null; detail: string }[];
  requests: number;
  scanned: number;
  nextSkip: number;
  complete: boolean;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/**
 * Reconciles each company's calendar with booking's appointments, on a schedule (RECONCILE_INTERVAL_MS) and on demand.
 * A company is run by one sync instance at a time (a lease row, renewed while it runs and taken over once expired);
 * booking reads the calendar's bookings changed since the company's cursor and repairs drift, batch by batch, and
 * every finding is recorded here. The request budget per minute keeps within the calendar's rate limit.
 */
@Injectable()
export class ReconciliationService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly poller: PollLoop;
  private readonly owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly runtime: MessagingRuntime,
    @Inject(SERVICE_CONFIG) private readonly config: SyncEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.poller = new PollLoop({ name: 'calendar reconciliation', intervalMs: config.RECONCILE_POLL_MS, batchSize: 1_000_000, round: () => this.round(), logger });
  }

  onApplicationBootstrap(): void {
    if (this.config.RECONCILE_INTERVAL_MS > 0) this.poller.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.poller.stop();
    await Promise.allSettled([...this.running]);
  }

  /** A company's calendar joins the schedule (idempotent). */
  async track(companyId: string): Promise<void> {
    await this.dataSource.query(`INSERT IGNORE INTO calendar_sync_cursor (company_id, cursor_at, next_run_at) VALUES (?, NULL, ?)`, [companyId, new Date()]);
  }

  /** On demand: starts a run unless one is under way (then that one is answered). */
  async start(companyId: string) {
    await this.track(companyId);
    if (await this.claim(companyId)) {
      const runId = randomUUID();
      await this.insertRun(runId, companyId, 'manual');
      this.background(this.run(companyId, runId));
      return { run: (await this.runs(companyId, 1, runId))[0], alreadyRunning: false };
    }
    // Another instance holds the company (it may be a moment from recording its run): that run is the answer.
    for (let i = 0; i < 20; i++) {
      const [current] = await this.dataSource.query(`SELECT id FROM calendar_reconciliation_run WHERE company_id = ? AND status = 'running' ORDER BY started_at DESC LIMIT 1`, [companyId]);
      if (current) return { run: (await this.runs(companyId, 1, current.id))[0], alreadyRunning: true };
      await new Promise((r) => setTimeout(r, 100));
    }
    return { run: null, alreadyRunning: true };
  }

  async list(companyId: string, limit: number) {
    const [cursor] = await this.dataSource.query(`SELECT cursor_at, next_run_at FROM calendar_sync_cursor WHERE company_id = ?`, [companyId]);
    return {
      cursor: cursor ? { changedSince: iso(cursor.cursor_at), nextRunAt: this.config.RECONCILE_INTERVAL_MS > 0 ? iso(cursor.next_run_at) : null } : null,
      runs: await this.runs(companyId, limit),
    };
  }

  /** Due companies (by schedule), each claimed before it runs; answers how many were started. */
  private async round(): Promise<number> {
    const due: { company_id: string }[] = await this.dataSource.query(
      `SELECT company_id FROM calendar_sync_cursor WHERE next_run_at <= ? AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_run_at LIMIT 20`,
      [new Date(), new Date()],
    );
    let started = 0;
    for (const { company_id: companyId } of due) {
      if (!(await this.claim(companyId))) continue;
      const runId = randomUUID();
      await this.insertRun(runId, companyId, 'scheduled');
      this.background(this.run(companyId, runId));
      started++;
    }
    return started;
  }

  private background(p: Promise<unknown>): void {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  /** The lease: one instance per company; a crashed holder's lease expires and another takes over. */
  private async claim(companyId: string): Promise<boolean> {
    const now = new Date();
    const result = await this.dataSource.query(
      `UPDATE calendar_sync_cursor SET lease_owner = ?, lease_until = ? WHERE company_id = ? AND (lease_until IS NULL OR lease_until < ?)`,
      [this.owner, new Date(now.getTime() + this.leaseMs()), companyId, now],
    );
    return (result.affectedRows ?? 0) === 1;
  }

  private leaseMs(): number {
    return this.config.RECONCILE_BATCH_TIMEOUT_MS * 2;
  }

  private async insertRun(runId: string, companyId: string, trigger: 'manual' | 'scheduled'): Promise<void> {
    const [cursor] = await this.dataSource.query(`SELECT cursor_at FROM calendar_sync_cursor WHERE company_id = ?`, [companyId]);
    await this.dataSource.query(
      `INSERT INTO calendar_reconciliation_run (id, company_id, trigger_kind, status, since_at, started_at) VALUES (?, ?, ?, 'running', ?, ?)`,
      [runId, companyId, trigger, cursor?.cursor_at ?? null, new Date()],
    );
  }

  private async run(companyId: string, runId: string): Promise<void> {
    const [run] = await this.dataSource.query(`SELECT since_at, started_at, trigger_kind FROM calendar_reconciliation_run WHERE id = ?`, [runId]);
    const since: string | null = iso(run.since_at);
    const startedAt = new Date(run.started_at);
    let skip = 0;
    let requests = 0;
    let windowStart = Date.now();
    let windowRequests = 0;
    try {
      for (;;) {
        // The calendar's rate limit is per minute: a batch that would pass the budget waits for the next minute.
        if (windowRequests + PAGES_PER_BATCH > this.config.RECONCILE_REQUESTS_PER_MINUTE) {
          const wait = windowStart + 60_000 - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          windowStart = Date.now();
          windowRequests = 0;
        }
        const batch = await this.ask({ operation: 'reconcile.pages', companyId, since, skip, maxRequests: Math.min(PAGES_PER_BATCH, this.config.RECONCILE_REQUESTS_PER_MINUTE) });
        requests += batch.requests;
        windowRequests += batch.requests;
        await this.record(runId, companyId, batch);
        skip = batch.nextSkip;
        await this.dataSource.query(`UPDATE calendar_sync_cursor SET lease_until = ? WHERE company_id = ? AND lease_owner = ?`, [new Date(Date.now() + this.leaseMs()), companyId, this.owner]);
        if (batch.complete) break;
      }
      const cursorAt = new Date(startedAt.getTime() - CURSOR_OVERLAP_MS);
      await this.dataSource.query(`UPDATE calendar_reconciliation_run SET status = 'completed', finished_at = ? WHERE id = ?`, [new Date(), runId]);
      await this.release(companyId, cursorAt);
      runsTotal().inc({ trigger: run.trigger_kind, outcome: 'completed' });
      this.logger.info({ companyId, runId, requests }, 'calendar reconciled');
    } catch (error) {
      const message = (error as Error).message.slice(0, 500);
      await this.dataSource.query(`UPDATE calendar_reconciliation_run SET status = 'failed', finished_at = ?, error = ? WHERE id = ?`, [new Date(), message, runId]).catch(() => undefined);
      await this.release(companyId, null).catch(() => undefined);
      runsTotal().inc({ trigger: run.trigger_kind, outcome: 'failed' });
      this.logger.warn({ companyId, runId, reason: message }, 'calendar reconciliation failed; the next run tries again');
    }
  }

  private async release(companyId: string, cursorAt: Date | null): Promise<void> {
    const next = new Date(Date.now() + (this.config.RECONCILE_INTERVAL_MS || 3_600_000));
    await this.dataSource.query(
      `UPDATE calendar_sync_cursor SET ${cursorAt ? 'cursor_at = GREATEST(COALESCE(cursor_at, ?), ?), ' : ''}next_run_at = ?, lease_owner = NULL, lease_until = NULL WHERE company_id = ? AND lease_owner = ?`,
      [...(cursorAt ? [cursorAt, cursorAt] : []), next, companyId, this.owner],
    );
  }

  private async record(runId: string, companyId: string, batch: BatchReply): Promise<void> {
    const now = new Date();
    for (const f of batch.findings) {
      await this.dataSource.query(
        `INSERT INTO calendar_reconciliation_finding (id, run_id, company_id, kind, calcom_booking_uid, appointment_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [randomUUID(), runId, companyId, f.kind, f.calcomBookingUid.slice(0, 100), f.appointmentId, f.detail.slice(0, 500), now],
      );
      findingsTotal().inc({ kind: f.kind });
    }
    await this.dataSource.query(`UPDATE calendar_reconciliation_run SET scanned = scanned + ?, requests = requests + ?, findings = findings + ? WHERE id = ?`, [
      batch.scanned,
      batch.requests,
      batch.findings.length,
      runId,
    ]);
  }

  private async ask(request: CalendarRequest): Promise<BatchReply> {
    const raw = await this.runtime.client.request(Topics.calendarRequest.name, { key: request.companyId, companyId: request.companyId, subject: null, data: request }, this.config.RECONCILE_BATCH_TIMEOUT_MS);
    const reply = calendarReplySchema.parse(raw);
    if (!reply.ok) throw new Error(`booking refused the reconciliation batch: ${reply.code ?? 'error'} ${reply.detail ?? ''}`.trim());
    return reply.data as unknown as BatchReply;
  }

  private async runs(companyId: string, limit: number, runId?: string) {
    const rows: Record<string, any>[] = await this.dataSource.query(
      `SELECT * FROM calendar_reconciliation_run WHERE company_id = ? ${runId ? 'AND id = ?' : ''} ORDER BY started_at DESC LIMIT ?`,
      runId ? [companyId, runId, limit] : [companyId, limit],
    );
    const findings: Record<string, any>[] = rows.length
      ? await this.dataSource.query(`SELECT * FROM calendar_reconciliation_finding WHERE run_id IN (?) ORDER BY created_at, id LIMIT 1000`, [rows.map((r) => r.id)])
      : [];
    return rows.map((r) => ({
      runId: r.id,
      trigger: r.trigger_kind,
      status: r.status,
      changedSince: iso(r.since_at),
      startedAt: iso(r.started_at),
      finishedAt: iso(r.finished_at),
      scanned: Number(r.scanned),
      requests: Number(r.requests),
      error: r.error,
      findingsCount: Number(r.findings),
      findings: findings
        .filter((f) => f.run_id === r.id)
        .slice(0, 100)
        .map((f) => ({ kind: f.kind, calcomBookingUid: f.calcom_booking_uid, appointmentId: f.appointment_id, detail: f.detail, at: iso(f.created_at) })),
    }));
  }
}
