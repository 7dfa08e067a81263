import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { Topics, bookingRequestSchema } from '@receptionist/contracts';
import { Outbox } from '@receptionist/messaging';
import { CallbackRequestEntity } from './callback-request.entity';

export type CallbackRequest = Extract<z.output<typeof bookingRequestSchema>, { operation: 'callback.request' }>;

/** Records a wish we could not serve on the phone (calendar down, nothing suitable) so staff call back. */
@Injectable()
export class CallbacksService {
  constructor(private readonly outbox: Outbox) {}

  async request(req: CallbackRequest): Promise<{ callbackRequestId: string }> {
    const row: CallbackRequestEntity = {
      id: randomUUID(),
      companyId: req.companyId,
      callId: req.callId,
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
}
