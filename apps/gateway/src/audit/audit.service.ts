import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, LessThan } from 'typeorm';
import type { TenantScope } from '../auth/principal';
import { AuditLogEntity } from './audit-log.entity';

export interface AuditEntry {
  action: string;
  outcome?: 'success' | 'failure';
  companyId: string | null;
  actorUserId?: string | null;
  actorTokenId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  requestId?: string | null;
  ip?: string | null;
  changes?: Record<string, unknown> | null;
}

const SECRET_KEY = /pass(word)?|secret|token(?!Id)|hash|authorization|api[_-]?key|credential/i;
const MAX_CHANGES_CHARS = 4000;

/** Copies the changed fields with anything secret-looking replaced; nested objects are cleaned too. */
export function stripSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 4) return '[nested]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => stripSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : stripSecrets(v, depth + 1);
  return out;
}

@Injectable()
export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  /** Writes one entry; pass the transaction's manager so the entry commits with the change it describes. */
  async record(entry: AuditEntry, manager: EntityManager = this.dataSource.manager): Promise<void> {
    let changes = entry.changes ? (stripSecrets(entry.changes) as Record<string, unknown>) : null;
    if (changes && JSON.stringify(changes).length > MAX_CHANGES_CHARS) changes = { truncated: true, fields: Object.keys(changes) };
    await manager.getRepository(AuditLogEntity).insert({
      occurredAt: new Date(),
      companyId: entry.companyId,
      actorUserId: entry.actorUserId ?? null,
      actorTokenId: entry.actorTokenId ?? null,
      action: entry.action,
      outcome: entry.outcome ?? 'success',
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      requestId: entry.requestId ?? null,
      ip: entry.ip ?? null,
      changes: changes as never,
    });
  }

  /** Newest first, one company's entries (a platform admin may read any company's, or platform-level ones). */
  async list(scope: TenantScope, companyId: string, opts: { limit: number; before?: string; action?: string }): Promise<AuditLogEntity[]> {
    if (!scope.all && scope.companyId !== companyId) return [];
    return this.dataSource.getRepository(AuditLogEntity).find({
      where: { companyId, ...(opts.before ? { id: LessThan(opts.before) } : {}), ...(opts.action ? { action: opts.action } : {}) },
      order: { id: 'DESC' },
      take: opts.limit,
    });
  }
}
