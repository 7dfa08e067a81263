import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { setupParts, SetupPart } from '@receptionist/contracts';
import { Outbox } from '@receptionist/messaging';
import { tenantScope } from '../auth/principal';
import { Actor, auditBy } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { isDuplicateKey } from '../common/zod-body';
import { CompaniesRepository } from '../companies/companies.repository';
import { BranchEntity, CompanyEntity, PhoneNumberEntity, RetellAgentEntity } from '../companies/entities';
import type { ImportDocument } from './import-document';

type Publish = Parameters<Parameters<Outbox['transaction']>[0]>[1];
import { buildParts } from './setup-parts';
import { PartStatus, SetupStatusRepository } from './setup-status.repository';

export type Change = 'created' | 'updated' | 'unchanged';

export interface Counts {
  created: number;
  updated: number;
  removed: number;
  unchanged: number;
}

export interface ImportedPart extends PartStatus {
  /** What this import did: `sent` a new revision to the owner, or left it (`unchanged`). */
  change: 'sent' | 'unchanged';
}

export interface SetupView {
  companyId: string;
  key: string | null;
  /** Every part applied by its owner. */
  applied: boolean;
  pending: SetupPart[];
  parts: Record<SetupPart, PartStatus | null>;
}

export interface ImportResult extends Omit<SetupView, 'parts'> {
  company: Change;
  routing: { branches: Counts; phoneNumbers: Counts; retellAgents: Counts };
  parts: Record<SetupPart, ImportedPart>;
}

export interface ImportOptions {
  /** Seconds to wait for every part to be applied (0: answer at once). */
  waitSeconds: number;
  /** Send every part again even if its revision is unchanged (an owner that lost it re-applies; others answer `unchanged`). */
  resend: boolean;
}

/** Thrown inside the transaction so that nothing of the import is kept; the controller turns it into a 409. */
function conflict(field: string, message: string): ConflictException {
  return new ConflictException({ statusCode: 409, error: 'Conflict', message: `${field}: ${message}`, field });
}

const counts = (): Counts => ({ created: 0, updated: 0, removed: 0, unchanged: 0 });

/** `Salon Schnittpunkt GmbH` → `salon-schnittpunkt-gmbh`: the company key when the file names none. */
export function keyFromName(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return slug || 'company';
}

/**
 * Onboarding in one step: the gateway's own records (company, branches, phone numbers, Retell agents) are
 * upserted in one transaction with the outbox rows of the parts whose revision changed, so either the whole
 * file lands or nothing does, and an unchanged file writes nothing but its audit entry.
 */
@Injectable()
export class OnboardingService {
  constructor(
    private readonly outbox: Outbox,
    private readonly companies: CompaniesRepository,
    private readonly statuses: SetupStatusRepository,
    private readonly audit: AuditService,
  ) {}

  async import(actor: Actor, doc: ImportDocument, options: ImportOptions): Promise<ImportResult> {
    let result: ImportResult;
    try {
      result = await this.importOnce(actor, doc, options);
    } catch (error) {
      // Two first imports of the same new company raced on the unique key: the second now finds the first.
      if (!isDuplicateKey(error)) throw error;
      result = await this.importOnce(actor, doc, options);
    }
    if (options.waitSeconds > 0 && result.pending.length > 0) {
      const view = await this.waitApplied(result.companyId, options.waitSeconds * 1000);
      for (const part of setupParts) result.parts[part] = { ...result.parts[part], ...view.parts[part]! };
      result.pending = view.pending;
      result.applied = view.applied;
    }
    return result;
  }

  async setup(actor: Actor, companyId: string): Promise<SetupView> {
    const company = await this.companies.findCompany(tenantScope(actor.principal), companyId);
    if (!company) throw new NotFoundException();
    return this.view(company.id);
  }

  private async view(companyId: string): Promise<SetupView> {
    const [rows, statuses] = await Promise.all([
      this.companies.manager.query('SELECT external_key FROM company WHERE id = ?', [companyId]) as Promise<{ external_key: string | null }[]>,
      this.statuses.forCompany(companyId),
    ]);
    const parts = Object.fromEntries(setupParts.map((p) => [p, statuses.get(p) ?? null])) as Record<SetupPart, PartStatus | null>;
    const pending = setupParts.filter((p) => parts[p]?.status !== 'applied');
    return { companyId, key: rows[0]?.external_key ?? null, applied: pending.length === 0, pending, parts };
  }

  private async waitApplied(companyId: string, timeoutMs: number): Promise<SetupView> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const view = await this.view(companyId);
      if (view.applied || Date.now() >= until) return view;
      await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, until - Date.now()))));
    }
  }

  private importOnce(actor: Actor, doc: ImportDocument, options: ImportOptions): Promise<ImportResult> {
    const key = doc.company.key ?? keyFromName(doc.company.name);
    return this.outbox.transaction(async (m, publish) => {
      const now = new Date();
      const { company, change } = await this.upsertCompany(m, key, doc, now);
      const branches = await this.syncBranches(m, company.id, doc, now);
      const phoneNumbers = await this.syncPhoneNumbers(m, company.id, doc, branches.ids, now);
      const retellAgents = await this.syncAgents(m, company.id, doc, branches.ids, now);

      const parts = (await this.sendParts(m, publish, company.id, doc, branches.ids, options.resend, now)) as Record<SetupPart, ImportedPart>;
      await this.storeDocument(m, company.id, { ...doc, company: { ...doc.company, key } }, now);

      const routing = { branches: branches.counts, phoneNumbers, retellAgents };
      await this.audit.record(
        {
          ...auditBy(actor),
          action: 'company.imported',
          companyId: company.id,
          targetType: 'company',
          targetId: company.id,
          changes: {
            key,
            company: change,
            routing,
            parts: Object.fromEntries(setupParts.map((p) => [p, { change: parts[p].change, revision: parts[p].revision }])),
          },
        },
        m,
      );
      const pending = setupParts.filter((p) => parts[p].status !== 'applied');
      return { companyId: company.id, key, company: change, routing, parts, applied: pending.length === 0, pending };
    });
  }

  /**
   * The one way set-up reaches its owners (the import and every edit through the set-up API): each part whose
   * revision differs from the last one sent (or every part, `resend`) goes out through the outbox in the caller's
   * transaction and is recorded as sent, pending until its owner answers. A part the document cannot build yet
   * (billing without pricing) is left out.
   */
  async sendParts(m: EntityManager, publish: Publish, companyId: string, doc: ImportDocument, branchIds: Map<string, string>, resend: boolean, now: Date): Promise<Partial<Record<SetupPart, ImportedPart>>> {
    const before = await this.statuses.forCompany(companyId, m, true);
    const parts: Partial<Record<SetupPart, ImportedPart>> = {};
    for (const command of buildParts(companyId, doc, branchIds)) {
      const last = before.get(command.part);
      if (!resend && last?.revision === command.revision) {
        parts[command.part] = { ...last, change: 'unchanged' };
        continue;
      }
      await publish({ topic: command.topic, key: companyId, companyId, subject: companyId, data: command.data });
      await this.statuses.markSent(m, companyId, command.part, command.revision, now);
      parts[command.part] = { part: command.part, revision: command.revision, sentAt: now.toISOString(), status: 'pending', outcome: null, appliedAt: null, change: 'sent' };
    }
    return parts;
  }

  /** Keeps the document the parts were built from: the set-up API reads and edits it. */
  async storeDocument(m: EntityManager, companyId: string, doc: ImportDocument, now: Date): Promise<void> {
    await m.query(
      'INSERT INTO company_setup_document (company_id, document, updated_at) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE document = VALUES(document), updated_at = VALUES(updated_at)',
      [companyId, JSON.stringify(doc), now],
    );
  }

  private async upsertCompany(m: EntityManager, key: string, doc: ImportDocument, now: Date): Promise<{ company: CompanyEntity; change: Change }> {
    const wanted = {
      name: doc.company.name,
      timeZone: doc.company.timeZone,
      language: doc.company.language,
      currency: doc.company.currency,
      settings: doc.company.settings,
    };
    const found: { id: string }[] = await m.query('SELECT id FROM company WHERE external_key = ? FOR UPDATE', [key]);
    const repo = m.getRepository(CompanyEntity);
    if (found.length === 0) {
      const company = Object.assign(new CompanyEntity(), { id: randomUUID(), ...wanted, createdAt: now, updatedAt: now });
      await repo.insert(company as never);
      await m.query('UPDATE company SET external_key = ? WHERE id = ?', [key, company.id]);
      return { company, change: 'created' };
    }
    const company = (await repo.findOneBy({ id: found[0].id }))!;
    const changed = (Object.keys(wanted) as (keyof typeof wanted)[]).some((k) => JSON.stringify(company[k]) !== JSON.stringify(wanted[k]));
    if (!changed) return { company, change: 'unchanged' };
    Object.assign(company, wanted, { updatedAt: now });
    await repo.update({ id: company.id }, { ...wanted, updatedAt: now } as never);
    return { company, change: 'updated' };
  }

  /** Branches named in the file, matched by key; a keyed branch the file no longer names is removed. */
  private async syncBranches(m: EntityManager, companyId: string, doc: ImportDocument, now: Date): Promise<{ ids: Map<string, string>; counts: Counts }> {
    const rows: { id: string; setup_key: string }[] = await m.query('SELECT id, setup_key FROM branch WHERE company_id = ? AND setup_key IS NOT NULL FOR UPDATE', [companyId]);
    const existing = new Map(rows.map((r) => [r.setup_key, r.id]));
    const repo = m.getRepository(BranchEntity);
    const ids = new Map<string, string>();
    const c = counts();
    for (const b of doc.branches) {
      const wanted = { name: b.name, timeZone: b.timeZone, address: b.address, active: b.active };
      const id = existing.get(b.key);
      if (!id) {
        const branch = Object.assign(new BranchEntity(), { id: randomUUID(), companyId, ...wanted, createdAt: now, updatedAt: now });
        await repo.insert(branch);
        await m.query('UPDATE branch SET setup_key = ? WHERE id = ?', [b.key, branch.id]);
        ids.set(b.key, branch.id);
        c.created++;
        continue;
      }
      ids.set(b.key, id);
      const current = (await repo.findOneBy({ id, companyId }))!;
      const same = current.name === wanted.name && current.timeZone === wanted.timeZone && current.address === wanted.address && Boolean(current.active) === wanted.active;
      if (same) {
        c.unchanged++;
        continue;
      }
      await repo.update({ id, companyId }, { ...wanted, updatedAt: now });
      c.updated++;
    }
    for (const [key, id] of existing) {
      if (ids.has(key)) continue;
      // Numbers and agents of the branch stay with the company (the foreign keys set their branch to NULL).
      await repo.delete({ id, companyId });
      c.removed++;
    }
    return { ids, counts: c };
  }

  /** The file lists all of the company's numbers: missing ones are added, unlisted ones removed. */
  private async syncPhoneNumbers(m: EntityManager, companyId: string, doc: ImportDocument, branchIds: Map<string, string>, now: Date): Promise<Counts> {
    const repo = m.getRepository(PhoneNumberEntity);
    const c = counts();
    const listed = new Set<string>();
    for (const [i, p] of doc.phoneNumbers.entries()) {
      listed.add(p.number);
      const branchId = p.branch ? branchIds.get(p.branch)! : null;
      const current = await repo.createQueryBuilder('p').setLock('pessimistic_write').where('p.number = :number', { number: p.number }).getOne();
      if (current && current.companyId !== companyId) throw conflict(`phoneNumbers[${i}].number`, 'already in use by another company');
      if (!current) {
        try {
          await repo.insert({ id: randomUUID(), companyId, branchId, number: p.number, label: p.label, createdAt: now });
        } catch (error) {
          if (isDuplicateKey(error)) throw conflict(`phoneNumbers[${i}].number`, 'already in use by another company');
          throw error;
        }
        c.created++;
      } else if (current.branchId !== branchId || current.label !== p.label) {
        await repo.update({ id: current.id, companyId }, { branchId, label: p.label });
        c.updated++;
      } else c.unchanged++;
    }
    for (const row of await repo.find({ where: { companyId }, lock: { mode: 'pessimistic_write' } })) {
      if (listed.has(row.number)) continue;
      await repo.delete({ id: row.id, companyId });
      c.removed++;
    }
    return c;
  }

  /** Same for the Retell agents answering for the company. */
  private async syncAgents(m: EntityManager, companyId: string, doc: ImportDocument, branchIds: Map<string, string>, now: Date): Promise<Counts> {
    const repo = m.getRepository(RetellAgentEntity);
    const c = counts();
    const listed = new Set<string>();
    for (const [i, a] of doc.retellAgents.entries()) {
      listed.add(a.agentId);
      const branchId = a.branch ? branchIds.get(a.branch)! : null;
      const current = await repo.createQueryBuilder('a').setLock('pessimistic_write').where('a.agent_id = :agentId', { agentId: a.agentId }).getOne();
      if (current && current.companyId !== companyId) throw conflict(`retellAgents[${i}].agentId`, 'already in use by another company');
      if (!current) {
        try {
          await repo.insert({ id: randomUUID(), companyId, branchId, agentId: a.agentId, label: a.label, createdAt: now });
        } catch (error) {
          if (isDuplicateKey(error)) throw conflict(`retellAgents[${i}].agentId`, 'already in use by another company');
          throw error;
        }
        c.created++;
      } else if (current.branchId !== branchId || current.label !== a.label) {
        await repo.update({ id: current.id, companyId }, { branchId, label: a.label });
        c.updated++;
      } else c.unchanged++;
    }
    for (const row of await repo.find({ where: { companyId }, lock: { mode: 'pessimistic_write' } })) {
      if (listed.has(row.agentId)) continue;
      await repo.delete({ id: row.id, companyId });
      c.removed++;
    }
    return c;
  }
}
