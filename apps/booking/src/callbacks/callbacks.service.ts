import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { z } from 'zod';
import { Topics, bookingRequestSchema } from '@receptionist/contracts';
import { Outbox, isDuplicateKeyError } from '@receptionist/messaging';
import { BookingFailure } from '../common/booking-failure';
import { CallbackRequestEntity } from './callback-request.entity';

type Req = z.output<typeof bookingRequestSchema>;
export type CallbackRequest = Extract<Req, { operation: 'callback.request' }>;
export type CallbackListRequest = Extract<Req, { operation: 'callbacks.list' }>;
export type CallbackUpdateRequest = Extract<Req, { operation: 'callback.update' }>;

/** What the admin API shows of a callback request. */
export function callbackView(row: CallbackRequestEntity) {
  return {
    callbackRequestId: row.id,
    callId: row.callId,
    name: row.name,
    phone: row.phone,
    wish: row.wish,
    reason: row.reason,
    status: row.status,
    note: row.note ?? null,
    handledBy: row.handledBy ?? null,
    handledAt: row.handledAt ? row.handledAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
  };
}

/** `<created_at ms>.<id>`: newest first, ties broken by id, stable while rows are added. */
function encodeCursor(row: CallbackRequestEntity): string {
  return `${row.createdAt.getTime()}.${row.id}`;
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  const m = /^(\d{1,15})\.([0-9a-f-]{36})$/.exec(cursor);
  if (!m) throw new BookingFailure('invalid_request', 'cursor: not a cursor from a previous page');
  return { at: new Date(Number(m[1])), id: m[2] };
}

/**
 * Records a wish we could not serve on the phone (calendar down, nothing suitable, a policy refusal) so staff
 * call back, and serves the admin API's view of them. Every read and change is scoped by company id.
 */
@Injectable()
export class CallbacksService {
  constructor(
    private readonly outbox: Outbox,
    private readonly dataSource: DataSource,
  ) {}

  /**
   * Records the wish once: a request carrying a wish id already recorded (a retry after a lost reply, the same wish
   * from the gateway's fallback and from voice-agent) answers the existing request and publishes nothing again.
   */
  async request(req: CallbackRequest): Promise<{ callbackRequestId: string }> {
    if (req.wishId) {
      const existing = await this.byWish(req.companyId, req.wishId);
      if (existing) return { callbackRequestId: existing.id };
    }
    try {
      return await this.insert(req);
    } catch (error) {
      const existing = req.wishId && isDuplicateKeyError(error) ? await this.byWish(req.companyId, req.wishId) : null;
      if (existing) return { callbackRequestId: existing.id };
      throw error;
    }
  }

  private byWish(companyId: string, wishId: string) {
    return this.dataSource.getRepository(CallbackRequestEntity).findOne({ where: { companyId, wishId }, select: { id: true } });
  }

  private async insert(req: CallbackRequest): Promise<{ callbackRequestId: string }> {
    const row: CallbackRequestEntity = {
      id: randomUUID(),
      companyId: req.companyId,
      callId: req.callId,
      wishId: req.wishId ?? null,
      name: req.name,
      phone: req.phone,
      wish: req.wish,
      reason: req.reason,
      status: 'open',
      createdAt: new Date(),
    };
    await this.outbox.transaction(async (manager, publish) => {
      await manager.getRepository(CallbackRequestEntity).insert(row);
      await publish({
        topic: Topics.callbackRequested.name,
        key: row.id,
        companyId: req.companyId,
        subject: row.id,
        data: { callbackRequestId: row.id, callId: row.callId, name: row.name, phone: row.phone, wish: row.wish, reason: row.reason },
      });
    });
    return { callbackRequestId: row.id };
  }

  async list(req: CallbackListRequest) {
    const qb = this.dataSource.getRepository(CallbackRequestEntity).createQueryBuilder('c').where('c.company_id = :companyId', { companyId: req.companyId });
    if (req.status) qb.andWhere('c.status = :status', { status: req.status });
    if (req.from) qb.andWhere('c.created_at >= :from', { from: new Date(req.from) });
    if (req.to) qb.andWhere('c.created_at < :to', { to: new Date(req.to) });
    if (req.cursor) {
      const { at, id } = decodeCursor(req.cursor);
      qb.andWhere('(c.created_at < :at OR (c.created_at = :at AND c.id < :id))', { at, id });
    }
    const rows = await qb.orderBy('c.created_at', 'DESC').addOrderBy('c.id', 'DESC').take(req.limit + 1).getMany();
    const page = rows.slice(0, req.limit);
    return { callbackRequests: page.map(callbackView), next: rows.length > req.limit ? encodeCursor(page[page.length - 1]) : null };
  }

  async get(companyId: string, id: string) {
    const row = await this.dataSource.getRepository(CallbackRequestEntity).findOneBy({ companyId, id });
    if (!row) throw new BookingFailure('not_found', 'callbackRequestId: no such callback request');
    return { callbackRequest: callbackView(row) };
  }

  /** Sets status and note; answers the row before and after, so the gateway can audit the change. */
  async update(req: CallbackUpdateRequest) {
    return this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(CallbackRequestEntity);
      const before = await repo.createQueryBuilder('c').setLock('pessimistic_write').where('c.company_id = :companyId AND c.id = :id', { companyId: req.companyId, id: req.callbackRequestId }).getOne();
      if (!before) throw new BookingFailure('not_found', 'callbackRequestId: no such callback request');
      const now = new Date();
      const handled = req.status !== 'open';
      const after: CallbackRequestEntity = {
        ...before,
        status: req.status,
        note: req.note ?? before.note ?? null,
        handledBy: handled ? req.handledBy : null,
        handledAt: handled ? (before.status === req.status && before.handledAt ? before.handledAt : now) : null,
        updatedAt: now,
      };
      await repo.update({ companyId: req.companyId, id: before.id }, { status: after.status, note: after.note, handledBy: after.handledBy, handledAt: after.handledAt, updatedAt: now });
      return { callbackRequest: callbackView(after), previous: { status: before.status, note: before.note ?? null } };
    });
  }
}
