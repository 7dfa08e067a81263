import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export type BookingFact = 'created' | 'rescheduled' | 'cancelled';

/** One booking fact as it arrives: booking's appointment version (absent from older producers) and its envelope time. */
export interface IncomingFact {
  fact: BookingFact;
  version: number | null;
  at: Date;
}

/** The latest fact applied for one appointment; `at` null: nothing applied yet (the row was just created). */
export interface AppointmentState {
  version: number | null;
  at: Date | null;
  cancelled: boolean;
}

/**
 * Whether a fact is newer than what was applied. A cancellation is final (booking never reopens one), so after it
 * nothing is scheduled again; `created` is always an appointment's first fact, so once anything was applied it is
 * a redelivery or overtaken. Reschedules are ordered by booking's version, or by envelope time where one side has
 * none (facts from before versions existed).
 */
export function isNewer(state: AppointmentState, incoming: IncomingFact): boolean {
  if (state.at === null) return true;
  if (state.cancelled) return false;
  if (incoming.fact === 'cancelled') return true;
  if (incoming.fact === 'created') return false;
  if (incoming.version !== null && state.version !== null) return incoming.version > state.version;
  return incoming.at.getTime() >= state.at.getTime();
}

/** notification_appointment_state: per appointment, the version (or time) of the fact last applied and the tombstone. */
@Injectable()
export class AppointmentStates {
  /**
   * Locks the appointment's state row for the caller's transaction, creating it if it is new. INSERT … ON DUPLICATE
   * KEY UPDATE takes the row's exclusive lock at once (a SELECT … FOR UPDATE of a missing row would take a gap lock,
   * and two facts of a new appointment would deadlock), so concurrent facts of one appointment are applied one by one.
   */
  async lock(manager: EntityManager, companyId: string, appointmentId: string): Promise<AppointmentState> {
    await manager.query(
      `INSERT INTO notification_appointment_state (company_id, appointment_id, version, event_at, cancelled, updated_at)
       VALUES (?, ?, NULL, NULL, 0, ?) ON DUPLICATE KEY UPDATE company_id = company_id`,
      [companyId, appointmentId, new Date()],
    );
    const rows: { version: number | null; at: Date | string | null; cancelled: number }[] = await manager.query(
      `SELECT version, event_at AS at, cancelled FROM notification_appointment_state WHERE company_id = ? AND appointment_id = ? FOR UPDATE`,
      [companyId, appointmentId],
    );
    const r = rows[0];
    return { version: r.version === null ? null : Number(r.version), at: r.at === null ? null : new Date(r.at), cancelled: Number(r.cancelled) === 1 };
  }

  /**
   * `created` is an appointment's first fact: it applies only if no state exists, so one INSERT IGNORE both decides
   * and records it (the consumer's hot path). False: the appointment has a state already (a redelivery, or overtaken
   * by a newer fact or its cancellation).
   */
  async recordFirst(manager: EntityManager, companyId: string, appointmentId: string, incoming: IncomingFact): Promise<boolean> {
    const result = await manager.query(
      `INSERT IGNORE INTO notification_appointment_state (company_id, appointment_id, version, event_at, cancelled, updated_at) VALUES (?, ?, ?, ?, 0, ?)`,
      [companyId, appointmentId, incoming.version, incoming.at, new Date()],
    );
    return ((result as { affectedRows?: number }).affectedRows ?? 0) === 1;
  }

  async record(manager: EntityManager, companyId: string, appointmentId: string, previous: AppointmentState, incoming: IncomingFact): Promise<void> {
    await manager.query(
      `UPDATE notification_appointment_state SET version = ?, event_at = ?, cancelled = ?, updated_at = ? WHERE company_id = ? AND appointment_id = ?`,
      [
        incoming.version ?? previous.version,
        incoming.at,
        incoming.fact === 'cancelled' ? 1 : 0,
        new Date(),
        companyId,
        appointmentId,
      ],
    );
  }
}
