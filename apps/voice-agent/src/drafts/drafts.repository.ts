import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CallDraftEntity } from './draft.entity';

export type DraftPatch = Partial<Omit<CallDraftEntity, 'companyId' | 'callId' | 'createdAt' | 'updatedAt'>>;

/** Drafts of the calls of one company; every query is scoped by company and call. */
@Injectable()
export class DraftsRepository {
  constructor(private readonly dataSource: DataSource) {}

  find(companyId: string, callId: string): Promise<CallDraftEntity | null> {
    return this.dataSource.getRepository(CallDraftEntity).findOneBy({ companyId, callId });
  }

  /** Creates the call's draft or updates the given fields (one statement, safe against concurrent calls). */
  async save(companyId: string, callId: string, patch: DraftPatch, now = new Date()): Promise<CallDraftEntity> {
    const row: CallDraftEntity = {
      companyId,
      callId,
      customerName: null,
      phone: null,
      email: null,
      serviceId: null,
      staffId: null,
      wishDate: null,
      wishTime: null,
      startAt: null,
      notes: null,
      status: 'collecting',
      appointmentId: null,
      createdAt: now,
      updatedAt: now,
      ...patch,
    };
    const columns: [keyof DraftPatch, string][] = [
      ['customerName', 'customer_name'],
      ['phone', 'phone'],
      ['email', 'email'],
      ['serviceId', 'service_id'],
      ['staffId', 'staff_id'],
      ['wishDate', 'wish_date'],
      ['wishTime', 'wish_time'],
      ['startAt', 'start_at'],
      ['notes', 'notes'],
      ['status', 'status'],
      ['appointmentId', 'appointment_id'],
    ];
    const updates = columns.filter(([field]) => field in patch).map(([, col]) => `${col} = VALUES(${col})`);
    updates.push('updated_at = VALUES(updated_at)');
    await this.dataSource.query(
      `INSERT INTO call_draft (company_id, call_id, ${columns.map(([, c]) => c).join(', ')}, created_at, updated_at)
       VALUES (?, ?, ${columns.map(() => '?').join(', ')}, ?, ?)
       ON DUPLICATE KEY UPDATE ${updates.join(', ')}`,
      [companyId, callId, ...columns.map(([f]) => row[f] ?? null), now, now],
    );
    return (await this.find(companyId, callId))!;
  }
}
