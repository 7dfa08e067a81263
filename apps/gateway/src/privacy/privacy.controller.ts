import { Body, Controller, Get, HttpCode, Param, Post, Put, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Actor, CurrentActor, auditBy } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { CurrentPrincipal, Principal, RequireAbility } from '../auth/principal';
import { CallsClient } from '../calls/calls.client';
import { ZodBody } from '../common/zod-body';
import { TenantCompanies } from '../companies/tenant-companies';
import { RetentionDto, retentionSchema } from './dto';
import { CustomerPrivacyService } from './privacy.service';

/**
 * A caller's rights over their data, exercised by the company (the data controller): export everything every
 * service holds about one customer, erase it, and the company's retention of recordings and transcripts. Company
 * admins (`companies.update`): staff see customers but do not decide about their data.
 */
@Controller('api/v1/companies/:companyId')
export class PrivacyController {
  constructor(
    private readonly privacy: CustomerPrivacyService,
    private readonly tenants: TenantCompanies,
    private readonly calls: CallsClient,
    private readonly audit: AuditService,
  ) {}

  /** One JSON document: every service's records about the customer and the recordings (base64) as files. */
  @Get('customers/:customerId/export')
  @RequireAbility('companies.update')
  async export(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('customerId') customerId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const bundle = await this.privacy.export(actor, await this.tenants.require(actor.principal, companyId), customerId);
    reply.header('Content-Disposition', `attachment; filename="customer-${customerId}.json"`);
    return bundle;
  }

  /** Starts the erasure (202), or answers the one under way; GET follows it until every service is done (`none`: never asked). */
  @Post('customers/:customerId/erasure')
  @HttpCode(202)
  @RequireAbility('companies.update')
  async erase(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('customerId') customerId: string) {
    return this.privacy.erase(actor, await this.tenants.require(actor.principal, companyId), customerId);
  }

  @Get('customers/:customerId/erasure')
  @RequireAbility('companies.update')
  async erasure(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Param('customerId') customerId: string) {
    return this.privacy.latestOrNone(await this.tenants.require(principal, companyId), customerId);
  }

  @Get('retention')
  @RequireAbility('companies.read')
  async retention(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string) {
    return this.calls.ask({ operation: 'retention.get', companyId: await this.tenants.require(principal, companyId) });
  }

  @Put('retention')
  @RequireAbility('companies.update')
  async setRetention(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Body(new ZodBody(retentionSchema)) dto: RetentionDto) {
    const id = await this.tenants.require(actor.principal, companyId);
    const before = await this.calls.ask({ operation: 'retention.get', companyId: id });
    const after = await this.calls.ask({ operation: 'retention.set', companyId: id, ...dto });
    await this.audit.record({ ...auditBy(actor), action: 'company.retention-changed', companyId: id, targetType: 'company', targetId: id, changes: { from: before, to: after } });
    return after;
  }
}
