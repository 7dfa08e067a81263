import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { PRIVACY_SERVICES, PrivacyExportFile, PrivacyService, PrivacySubject, RECORDING_CHUNK_MAX_BYTES, Topics } from '@receptionist/contracts';
import { Outbox, isDuplicateKeyError } from '@receptionist/messaging';
import { Actor, auditBy } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { UUID_RE } from '../common/zod-body';
import { CallsClient } from '../calls/calls.client';
import { AppointmentsClient } from '../appointments/appointments.client';
import { PrivacyClient, ServiceExport } from './privacy.client';

type Row = Record<string, unknown>;
const uniq = (xs: unknown[]) => [...new Set(xs.filter((x): x is string => typeof x === 'string' && x.length > 0))];

/** The erasure's steps: every service that holds the caller's data, and the gateway's own part (done at once). */
export const ERASURE_STEPS = ['gateway', ...PRIVACY_SERVICES] as const;

/**
 * A caller's data across the services (issue 16). Export: booking first (the customer, their numbers, addresses and
 * appointments), then voice-agent (their calls), then the rest with those identifiers, plus the gateway's own
 * portal account and audit entries. Erasure: the same identifiers, then one gateway transaction that records the
 * erasure with a step per service, removes the gateway's part and puts `privacy.erasure.requested` in the outbox;
 * each service's `privacy.erased.<service>` completes its step (ErasureProgressHandler).
 */
@Injectable()
export class CustomerPrivacyService {
  constructor(
    private readonly client: PrivacyClient,
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly audit: AuditService,
    private readonly calls: CallsClient,
    private readonly booking: AppointmentsClient,
  ) {}

  /** The identifiers every service finds the caller by, and what booking and voice-agent hold. */
  private async gather(companyId: string, customerId: string): Promise<{ subject: PrivacySubject; booking: ServiceExport; voice: ServiceExport }> {
    if (!UUID_RE.test(customerId)) throw new NotFoundException('customer not found');
    const seed: PrivacySubject = { companyId, customerId, phones: [], emails: [], appointmentIds: [], callIds: [] };
    const booking = await this.client.export('booking', seed);
    const customers = (booking.sections.customers ?? []) as Row[];
    if (!customers.some((c) => c.id === customerId)) throw new NotFoundException('customer not found');
    const appointments = (booking.sections.appointments ?? []) as Row[];
    const subject: PrivacySubject = {
      ...seed,
      phones: uniq(customers.map((c) => c.phone)),
      emails: uniq(customers.map((c) => c.email)),
      appointmentIds: uniq(appointments.map((a) => a.id)),
      callIds: uniq(appointments.map((a) => a.call_id)),
    };
    const voice = await this.client.export('voice-agent', subject);
    subject.callIds = uniq([...subject.callIds, ...((voice.sections.calls ?? []) as Row[]).map((c) => c.call_id)]);
    return { subject, booking, voice };
  }

  async export(actor: Actor, companyId: string, customerId: string) {
    const { subject, booking, voice } = await this.gather(companyId, customerId);
    const rest = await Promise.all((['notification', 'billing', 'sync'] as const).map((s) => this.client.export(s, subject)));
    const parts: Record<string, ServiceExport> = { booking, 'voice-agent': voice };
    for (const part of rest) parts[part.service] = part;
    const files: PrivacyExportFile[] = [];
    for (const file of Object.values(parts).flatMap((p) => p.files ?? [])) files.push(file.callId ? await this.withRecording(companyId, file) : file);
    const services: Record<string, Record<string, unknown[]>> = { gateway: await this.gatewaySections(subject) };
    for (const [name, part] of Object.entries(parts)) services[name] = part.sections;
    await this.audit.record({ ...auditBy(actor), action: 'customer.exported', companyId, targetType: 'customer', targetId: customerId, changes: { files: files.length } });
    return { exportedAt: new Date().toISOString(), companyId, customerId, identifiers: subject, services, files };
  }

  /** A recording's bytes, read from voice-agent in pieces (each reply stays far below Kafka's message limit). */
  private async withRecording(companyId: string, file: PrivacyExportFile): Promise<PrivacyExportFile> {
    const pieces: Buffer[] = [];
    let offset = 0;
    for (;;) {
      const piece = await this.calls.ask({ operation: 'recording.read', companyId, callId: file.callId!, offset, length: RECORDING_CHUNK_MAX_BYTES }, 'recording not found');
      const bytes = Buffer.from(String(piece.base64 ?? ''), 'base64');
      pieces.push(bytes);
      offset += bytes.length;
      if (!bytes.length || offset >= Number(piece.sizeBytes ?? 0)) break;
    }
    const content = Buffer.concat(pieces);
    return { path: file.path, contentType: file.contentType, sizeBytes: content.length, callId: file.callId, contentBase64: content.toString('base64') };
  }

  private async gatewaySections(s: PrivacySubject, m: EntityManager = this.dataSource.manager) {
    const portalAccounts = await m.query(
      'SELECT id, phone, email, created_at FROM portal_customer WHERE company_id = ? AND (phone IN (?) OR email IN (?))',
      [s.companyId, s.phones.length ? s.phones : ['-'], s.emails.length ? s.emails : ['-']],
    );
    const auditEntries = await m.query(
      `SELECT occurred_at, action, outcome, changes FROM audit_log WHERE company_id = ? AND target_type = 'customer' AND target_id = ? ORDER BY id`,
      [s.companyId, s.customerId],
    );
    return { portalAccounts, auditEntries };
  }

  /** Starts an erasure, or answers the one still under way for this customer (a repeated request joins it). */
  async erase(actor: Actor, companyId: string, customerId: string) {
    const open = await this.latest(companyId, customerId, true);
    if (open) return open;
    const { subject } = await this.gather(companyId, customerId);
    const erasureId = randomUUID();
    const now = new Date();
    try {
      await this.outbox.transaction(async (m, publish) => {
        await m.query(
          `INSERT INTO customer_erasure (id, company_id, customer_id, open_key, status, requested_by_user_id, requested_by_token_id, requested_at) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)`,
          [erasureId, companyId, customerId, `${companyId}:${customerId}`, auditBy(actor).actorUserId ?? null, auditBy(actor).actorTokenId ?? null, now],
        );
        const gateway = await this.eraseGatewayPart(m, subject);
        for (const step of ERASURE_STEPS) {
          const done = step === 'gateway';
          await m.query('INSERT INTO customer_erasure_step (erasure_id, service, counts, completed_at) VALUES (?, ?, ?, ?)', [erasureId, step, done ? JSON.stringify(gateway) : null, done ? now : null]);
        }
        await publish({
          topic: Topics.privacyErasureRequested.name,
          key: customerId,
          companyId,
          subject: erasureId,
          data: { ...subject, erasureId, requestedAt: now.toISOString() },
        });
        await this.audit.record(
          { ...auditBy(actor), action: 'customer.erasure-requested', companyId, targetType: 'customer', targetId: customerId, changes: { erasureId, services: [...PRIVACY_SERVICES] } },
          m,
        );
      });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // Another request started one in the meantime: that one is the answer.
      const other = await this.latest(companyId, customerId, true);
      if (!other) throw new ConflictException('an erasure of this customer is being started; ask again');
      return other;
    }
    return (await this.latest(companyId, customerId))!;
  }

  /**
   * The gateway's own part: the caller's portal account (its tokens go with it) and the personal details in earlier
   * audit entries about them (the entries stay: who did what, when).
   */
  private async eraseGatewayPart(m: EntityManager, s: PrivacySubject) {
    const portal = await m.query('DELETE FROM portal_customer WHERE company_id = ? AND (phone IN (?) OR email IN (?))', [
      s.companyId,
      s.phones.length ? s.phones : ['-'],
      s.emails.length ? s.emails : ['-'],
    ]);
    const audit = await m.query(`UPDATE audit_log SET changes = NULL WHERE company_id = ? AND target_type = 'customer' AND target_id = ? AND changes IS NOT NULL`, [s.companyId, s.customerId]);
    return { portalAccounts: portal.affectedRows ?? 0, auditEntries: audit.affectedRows ?? 0 };
  }

  /** The customer's latest erasure with its steps (only an open one when `openOnly`), or null. */
  async latest(companyId: string, customerId: string, openOnly = false) {
    if (!UUID_RE.test(customerId)) return null;
    const [e]: Row[] = await this.dataSource.query(
      `SELECT * FROM customer_erasure WHERE company_id = ? AND customer_id = ? ${openOnly ? "AND status = 'pending'" : ''} ORDER BY requested_at DESC LIMIT 1`,
      [companyId, customerId],
    );
    if (!e) return null;
    const steps: Row[] = await this.dataSource.query('SELECT service, counts, completed_at FROM customer_erasure_step WHERE erasure_id = ? ORDER BY service', [e.id]);
    return {
      erasureId: e.id as string,
      customerId,
      status: e.status as 'pending' | 'completed',
      requestedAt: (e.requested_at as Date).toISOString(),
      completedAt: e.completed_at ? (e.completed_at as Date).toISOString() : null,
      services: steps.map((s) => ({
        service: s.service as PrivacyService | 'gateway',
        status: s.completed_at ? 'done' : 'pending',
        counts: typeof s.counts === 'string' ? JSON.parse(s.counts) : (s.counts ?? null),
        completedAt: s.completed_at ? (s.completed_at as Date).toISOString() : null,
      })),
    };
  }

  /** The latest erasure, or `status: none` for a customer of the company never erased (another company's: 404). */
  async latestOrNone(companyId: string, customerId: string) {
    const e = await this.latest(companyId, customerId);
    if (e) return e;
    if (!UUID_RE.test(customerId)) throw new NotFoundException('customer not found');
    await this.booking.ask({ operation: 'customer.get', companyId, callId: null, customerId });
    return { erasureId: null, customerId, status: 'none' as const, requestedAt: null, completedAt: null, services: [] };
  }
}
