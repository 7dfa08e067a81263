import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { z } from 'zod';
import { CurrentPrincipal, Principal, RequireAbility, tenantScope } from '../auth/principal';
import { parseOrBadRequest } from '../common/zod-body';
import { CompaniesRepository } from '../companies/companies.repository';
import { AuditService } from './audit.service';

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.string().regex(/^\d{1,19}$/, 'must be an entry id').optional(),
  action: z.string().max(100).optional(),
});

@Controller('api/v1/companies/:companyId/audit-log')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly companies: CompaniesRepository,
  ) {}

  @Get()
  @RequireAbility('audit.read')
  async list(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Query() query: unknown) {
    const q = parseOrBadRequest(listQuery, query, 'query');
    const scope = tenantScope(principal);
    if (!(await this.companies.findCompany(scope, companyId))) throw new NotFoundException();
    const entries = await this.audit.list(scope, companyId, q);
    return {
      data: entries.map((e) => ({
        id: e.id,
        at: e.occurredAt.toISOString(),
        action: e.action,
        outcome: e.outcome,
        actor: { userId: e.actorUserId, tokenId: e.actorTokenId },
        target: e.targetType ? { type: e.targetType, id: e.targetId } : null,
        requestId: e.requestId,
        ip: e.ip,
        changes: e.changes,
      })),
      next: entries.length === q.limit ? entries[entries.length - 1].id : null,
    };
  }
}
