import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { Envelope, PrivacyErased, Topics, privacyErasedSchema } from '@receptionist/contracts';
import { LOGGER, OnEvent } from '@receptionist/service-runtime';
import { AuditService } from '../audit/audit.service';

/**
 * Completes an erasure's steps from each service's `privacy.erased.<service>` (published by that service in the
 * transaction that erased). Only the first answer per step changes anything, so redeliveries need no inbox; the
 * last step closes the erasure and audits it, in the same transaction.
 */
@Injectable()
export class ErasureProgressHandler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnEvent(Topics.privacyErasedBooking.name)
  onBooking(envelope: Envelope) {
    return this.record(envelope);
  }

  @OnEvent(Topics.privacyErasedVoiceAgent.name)
  onVoiceAgent(envelope: Envelope) {
    return this.record(envelope);
  }

  @OnEvent(Topics.privacyErasedNotification.name)
  onNotification(envelope: Envelope) {
    return this.record(envelope);
  }

  @OnEvent(Topics.privacyErasedBilling.name)
  onBilling(envelope: Envelope) {
    return this.record(envelope);
  }

  @OnEvent(Topics.privacyErasedSync.name)
  onSync(envelope: Envelope) {
    return this.record(envelope);
  }

  private async record(envelope: Envelope): Promise<void> {
    const done: PrivacyErased = privacyErasedSchema.parse(envelope.data);
    const closed = await this.dataSource.transaction(async (m) => {
      // Services answer at the same time on different topics: the erasure's row serialises them, so the last one
      // sees every other step committed (locking reads below see the latest rows, not a snapshot).
      const [erasure] = await m.query('SELECT id FROM customer_erasure WHERE id = ? FOR UPDATE', [done.erasureId]);
      if (!erasure) return false;
      const step = await m.query('UPDATE customer_erasure_step SET counts = ?, completed_at = ? WHERE erasure_id = ? AND service = ? AND completed_at IS NULL', [
        JSON.stringify(done.counts),
        new Date(done.erasedAt),
        done.erasureId,
        done.service,
      ]);
      // Another deployment's erasure (a shared broker) or a redelivery: nothing of ours changes.
      if (!step.affectedRows) return false;
      const [{ n }] = await m.query('SELECT COUNT(*) AS n FROM customer_erasure_step WHERE erasure_id = ? AND completed_at IS NULL FOR UPDATE', [done.erasureId]);
      if (Number(n) > 0) return false;
      const rows: { counts: unknown; service: string }[] = await m.query('SELECT service, counts FROM customer_erasure_step WHERE erasure_id = ? FOR UPDATE', [done.erasureId]);
      const closing = await m.query(`UPDATE customer_erasure SET status = 'completed', open_key = NULL, completed_at = ? WHERE id = ? AND status = 'pending'`, [new Date(), done.erasureId]);
      if (!closing.affectedRows) return false;
      const counts = Object.fromEntries(rows.map((r) => [r.service, typeof r.counts === 'string' ? JSON.parse(r.counts) : r.counts]));
      await this.audit.record({ action: 'customer.erased', companyId: done.companyId, targetType: 'customer', targetId: done.customerId, changes: { erasureId: done.erasureId, counts } }, m);
      return true;
    });
    this.logger.info({ erasureId: done.erasureId, service: done.service, closed }, 'erasure step done');
  }
}
