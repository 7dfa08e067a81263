import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { LOGGER, MessagingRuntime } from '@receptionist/service-runtime';
import { CallRecordsService } from './call-records.service';

export interface FunctionCallEntry {
  companyId: string;
  callId: string | null;
  /** The gateway's key of the tool call (same for Retell's retries of it), so a retry is one entry. */
  requestKey: string;
  name: string;
  reply: { success: boolean; code?: string; data?: Record<string, unknown> };
  durationMs: number;
}

/** Functions whose successful reply carries the appointment booked in the call. */
/** Functions that can book (collect_appointment books once confirmed); their replies carry the appointment id. */
export const BOOKS = new Set(['book_appointment', 'collect_appointment']);

/**
 * The voice functions called during a call, recorded against the call id by voice-agent's function responder
 * (the call record may not exist yet: Retell's call_started can come later). A booking's appointment id is
 * taken from the function's reply, so `call.completed` knows it as soon as the call ends; booking.created
 * with the call id is the second source. Never fails the function call: a write error is logged.
 */
@Injectable()
export class CallFunctionsLog {
  constructor(
    private readonly dataSource: DataSource,
    private readonly records: CallRecordsService,
    private readonly runtime: MessagingRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async record(entry: FunctionCallEntry): Promise<void> {
    if (!entry.callId) return;
    const callId = entry.callId;
    try {
      await this.dataSource.transaction(async (manager) => {
        await manager.query(
          'INSERT IGNORE INTO call_function (company_id, call_id, request_key, name, success, code, duration_ms, called_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          [entry.companyId, callId, entry.requestKey.slice(0, 64), entry.name.slice(0, 64), entry.reply.success ? 1 : 0, entry.reply.code?.slice(0, 64) ?? null, Math.round(entry.durationMs), new Date()],
        );
        const appointmentId = entry.reply.data?.appointmentId;
        if (entry.reply.success && BOOKS.has(entry.name) && typeof appointmentId === 'string' && appointmentId) {
          await this.records.addBooking(manager, entry.companyId, callId, appointmentId.slice(0, 64));
        }
      });
      this.runtime.relay.wake();
    } catch (error) {
      this.logger.error({ err: error, callId, companyId: entry.companyId, function: entry.name }, 'function call not recorded on the call');
    }
  }
}
