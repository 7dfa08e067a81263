import { BadRequestException, ConflictException, HttpException, Injectable, NotFoundException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Outbox } from '@receptionist/messaging';
import { Principal, tenantScope } from '../auth/principal';
import { Actor, auditBy } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { CompaniesRepository } from '../companies/companies.repository';
import type { CompanyEntity } from '../companies/entities';
import { ImportDocument, ImportDocumentError, setupDocumentSchema, validateImportDocument } from '../onboarding/import-document';
import { OnboardingService } from '../onboarding/onboarding.service';
import { canonicalJson } from '../onboarding/setup-parts';

/** A strong entity tag of a representation: equal content, equal tag (stable across instances and restarts). */
export function etagOf(value: unknown): string {
  return `"${createHash('sha256').update(canonicalJson(value)).digest('base64url').slice(0, 27)}"`;
}

/** Does an `If-Match` header (`"a"`, `"a", "b"`, `W/"a"`, `*`) name the current tag? */
export function ifMatchHolds(header: string, current: string): boolean {
  const tags = header.split(',').map((t) => t.trim().replace(/^W\//, ''));
  return tags.includes('*') || tags.includes(current);
}

export interface Change<R> {
  /** The resource as it is now (its tag is what `If-Match` must name); undefined: it does not exist (404). */
  current(doc: ImportDocument): R | undefined;
  /** Changes the document in place; throws an HttpException (409, 400) to refuse. */
  apply(doc: ImportDocument): void;
  /** The `If-Match` header; `required` false only for creating (nothing to be stale against). */
  ifMatch: string | undefined;
  required: boolean;
  /** Maps a field of the whole document (`services[2].durationMinutes`) to the request's (`durationMinutes`). */
  field?: (documentField: string, doc: ImportDocument) => string;
  audit: { action: string; targetType: string; targetId: string };
}

/**
 * Edits of a company's set-up through the API, applied through the import's own path: the stored set-up document
 * is changed, validated as a whole as an imported file would be, and the parts whose revision changed go to their
 * owners through the outbox — all in one transaction, so a refused change leaves nothing behind. The company's
 * document row is locked for the check of `If-Match` and the write, so two edits never both win.
 */
@Injectable()
export class SetupEditService {
  constructor(
    private readonly outbox: Outbox,
    private readonly companies: CompaniesRepository,
    private readonly onboarding: OnboardingService,
    private readonly audit: AuditService,
  ) {}

  /** The company in the principal's scope (another company's answers like a missing one: 404). */
  async company(principal: Principal, companyId: string): Promise<CompanyEntity> {
    const company = await this.companies.findCompany(tenantScope(principal), companyId);
    if (!company) throw new NotFoundException();
    return company;
  }

  async read(principal: Principal, companyId: string): Promise<{ company: CompanyEntity; doc: ImportDocument }> {
    const company = await this.company(principal, companyId);
    return { company, doc: await this.document(this.companies.manager, company, false) };
  }

  async change<R, V>(actor: Actor, companyId: string, change: Change<R>, view: (doc: ImportDocument) => V): Promise<{ body: V; etag: string; doc: ImportDocument }> {
    const company = await this.company(actor.principal, companyId);
    return this.outbox.transaction(async (m, publish) => {
      const doc = await this.document(m, company, true);
      const before = change.current(doc);
      if (before === undefined) throw new NotFoundException();
      if (change.required || change.ifMatch !== undefined) this.checkPrecondition(change.ifMatch, etagOf(before));
      const next = structuredClone(doc);
      change.apply(next);
      const valid = this.validate(next, (f) => (change.field ? change.field(f, next) : f));
      const now = new Date();
      const branchIds = await this.branchIds(m, company.id);
      const parts = await this.onboarding.sendParts(m, publish, company.id, valid, branchIds, false, now);
      await this.onboarding.storeDocument(m, company.id, valid, now);
      await this.audit.record(
        {
          ...auditBy(actor),
          ...change.audit,
          companyId: company.id,
          changes: { parts: Object.fromEntries(Object.entries(parts).map(([p, s]) => [p, { change: s!.change, revision: s!.revision }])) },
        },
        m,
      );
      const body = view(valid);
      return { body, etag: etagOf(body), doc: valid };
    });
  }

  /**
   * The stored document, or for a company never imported one built from its record (no services, staff or hours
   * yet); the company record's own fields (name, zone, language, currency) always win, as they may be edited there.
   */
  private async document(m: EntityManager, company: CompanyEntity, lock: boolean): Promise<ImportDocument> {
    if (lock) await m.query('SELECT id FROM company WHERE id = ? FOR UPDATE', [company.id]);
    const rows: { document: string }[] = await m.query('SELECT document FROM company_setup_document WHERE company_id = ?', [company.id]);
    const raw = rows.length ? (JSON.parse(rows[0].document) as ImportDocument) : { company: { name: company.name }, services: [], openingHours: {} };
    const keyRows: { external_key: string | null }[] = await m.query('SELECT external_key FROM company WHERE id = ?', [company.id]);
    const merged = {
      ...raw,
      company: { ...raw.company, key: keyRows[0]?.external_key ?? undefined, name: company.name, timeZone: company.timeZone, language: company.language, currency: company.currency, settings: company.settings ?? {} },
    };
    return setupDocumentSchema.parse(merged);
  }

  private async branchIds(m: EntityManager, companyId: string): Promise<Map<string, string>> {
    const rows: { id: string; setup_key: string }[] = await m.query('SELECT id, setup_key FROM branch WHERE company_id = ? AND setup_key IS NOT NULL', [companyId]);
    return new Map(rows.map((r) => [r.setup_key, r.id]));
  }

  private checkPrecondition(header: string | undefined, current: string): void {
    if (header === undefined || header.trim() === '') {
      throw new HttpException(
        { statusCode: 428, error: 'Precondition Required', message: 'If-Match: required: send the ETag of your last GET of this resource', field: 'If-Match' },
        428,
      );
    }
    if (!ifMatchHolds(header, current)) {
      throw new ConflictException({
        statusCode: 409,
        error: 'Conflict',
        message: 'If-Match: the resource changed since you read it: GET it again, re-apply your change and send its new ETag',
        field: 'If-Match',
        code: 'stale',
      });
    }
  }

  /** The whole document again, as an import would check it; problems are named as fields of the request. */
  private validate(doc: ImportDocument, field: (f: string) => string): ImportDocument {
    try {
      return validateImportDocument(doc, setupDocumentSchema);
    } catch (error) {
      if (!(error instanceof ImportDocumentError)) throw error;
      const fields = error.problems.map((p) => ({ field: field(p.field), message: p.message }));
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: fields.map((f) => `${f.field}: ${f.message}`).join('; '),
        field: [...new Set(fields.map((f) => f.field))].join(','),
        fields,
      });
    }
  }
}
