import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { setupParts, SetupPart } from '@receptionist/contracts';

export interface PartStatus {
  part: SetupPart;
  /** What the gateway last sent to the part's owner. */
  revision: string;
  sentAt: string;
  /** `applied` once the owner reported this revision applied (or already present); else `pending`. */
  status: 'applied' | 'pending';
  outcome: 'applied' | 'unchanged' | null;
  appliedAt: string | null;
}

interface Row {
  part: SetupPart;
  sent_revision: string;
  sent_at: Date;
  applied_revision: string | null;
  applied_outcome: 'applied' | 'unchanged' | null;
  applied_at: Date | null;
}

function toStatus(row: Row): PartStatus {
  const applied = row.applied_revision === row.sent_revision;
  return {
    part: row.part,
    revision: row.sent_revision,
    sentAt: new Date(row.sent_at).toISOString(),
    status: applied ? 'applied' : 'pending',
    outcome: applied ? row.applied_outcome : null,
    appliedAt: applied && row.applied_at ? new Date(row.applied_at).toISOString() : null,
  };
}

/**
 * Per company and part: the revision sent to the owner and the one it reported applied (`company_setup_part`).
 * Callers have already checked the company is in the principal's scope.
 */
@Injectable()
export class SetupStatusRepository {
  constructor(private readonly dataSource: DataSource) {}

  async forCompany(companyId: string, manager: EntityManager = this.dataSource.manager, lock = false): Promise<Map<SetupPart, PartStatus>> {
    const rows: Row[] = await manager.query(
      `SELECT part, sent_revision, sent_at, applied_revision, applied_outcome, applied_at FROM company_setup_part WHERE company_id = ?${lock ? ' FOR UPDATE' : ''}`,
      [companyId],
    );
    const byPart = new Map<SetupPart, PartStatus>();
    for (const row of rows) if ((setupParts as readonly string[]).includes(row.part)) byPart.set(row.part, toStatus(row));
    return byPart;
  }

  /** A new revision went out: it is pending until its owner answers (an older answer no longer counts). */
  async markSent(manager: EntityManager, companyId: string, part: SetupPart, revision: string, at: Date): Promise<void> {
    await manager.query(
      `INSERT INTO company_setup_part (company_id, part, sent_revision, sent_at) VALUES (?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE sent_revision = VALUES(sent_revision), sent_at = VALUES(sent_at),
         applied_revision = NULL, applied_outcome = NULL, applied_at = NULL`,
      [companyId, part, revision, at],
    );
  }

  /**
   * The owner's answer, recorded once: ignored unless it is about the revision last sent and that revision is not
   * recorded as applied yet (a redelivery or a second answer changes nothing, so no inbox is needed).
   */
  async markApplied(companyId: string, part: SetupPart, revision: string, outcome: 'applied' | 'unchanged', at: Date): Promise<boolean> {
    const result = await this.dataSource.query(
      `UPDATE company_setup_part SET applied_revision = ?, applied_outcome = ?, applied_at = ?
       WHERE company_id = ? AND part = ? AND sent_revision = ? AND (applied_revision IS NULL OR applied_revision <> sent_revision)`,
      [revision, outcome, at, companyId, part, revision],
    );
    return (result?.affectedRows ?? 0) > 0;
  }
}
