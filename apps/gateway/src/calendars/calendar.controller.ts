import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { z } from 'zod';
import { calendarConnectionInputSchema } from '@receptionist/contracts';
import { Actor, CurrentActor, auditBy } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { CurrentPrincipal, Principal, RequireAbility } from '../auth/principal';
import { parseOrBadRequest, ZodBody } from '../common/zod-body';
import { TenantCompanies } from '../companies/tenant-companies';
import { DescribeQuery } from '../openapi/describe';
import { RateLimit } from '../rate-limit';
import { CalendarClient } from './calendar.client';

const runsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(50).default(10) });

/**
 * A company's own calendar: its Cal.com account (key sealed at rest, never answered; checked against Cal.com before it
 * is stored) with the webhook subscription the platform makes there, its health (last success, last error), and the
 * reconciliation runs that compare it with our appointments and repair drift. Without a connection of its own the
 * company books through the platform's Cal.com account.
 */
@Controller('api/v1/companies/:companyId/calendar')
export class CalendarController {
  constructor(
    private readonly client: CalendarClient,
    private readonly tenants: TenantCompanies,
    private readonly audit: AuditService,
  ) {}

  @Get('connection')
  @RequireAbility('integrations.manage')
  async get(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string) {
    const { connection } = await this.client.booking({ operation: 'connection.get', companyId: await this.tenants.require(principal, companyId) });
    return connection;
  }

  /** Connects (or replaces) the company's own Cal.com account; a key Cal.com refuses is a 400 naming `apiKey`. */
  @Put('connection')
  @RateLimit('sensitive')
  @RequireAbility('integrations.manage')
  async put(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Body(new ZodBody(calendarConnectionInputSchema)) dto: z.infer<typeof calendarConnectionInputSchema>) {
    const id = await this.tenants.require(actor.principal, companyId);
    const result = await this.client.booking({ operation: 'connection.put', companyId: id, connection: dto });
    await this.audit.record({ ...auditBy(actor), action: 'calendar_connection.set', companyId: id, targetType: 'calendar_connection', targetId: id, changes: { provider: dto.provider, teamSlug: dto.teamSlug ?? null } });
    return result;
  }

  /** Back to the platform's Cal.com account (the webhook subscription on the company's account is removed). */
  @Delete('connection')
  @HttpCode(204)
  @RequireAbility('integrations.manage')
  async remove(@CurrentActor() actor: Actor, @Param('companyId') companyId: string) {
    const id = await this.tenants.require(actor.principal, companyId);
    await this.client.booking({ operation: 'connection.delete', companyId: id });
    await this.audit.record({ ...auditBy(actor), action: 'calendar_connection.removed', companyId: id, targetType: 'calendar_connection', targetId: id, changes: {} });
  }

  /** Reconciles the calendar now; a run already under way is answered instead (`alreadyRunning`). */
  @Post('reconciliations')
  @HttpCode(202)
  @RateLimit('sensitive')
  @RequireAbility('integrations.manage')
  async reconcile(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string) {
    return this.client.sync({ operation: 'reconciliation.start', companyId: await this.tenants.require(principal, companyId) });
  }

  /** Runs newest first, each with what it found and repaired; and the cursor (bookings changed since). */
  @Get('reconciliations')
  @DescribeQuery(runsQuery)
  @RequireAbility('integrations.manage')
  async runs(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Query() query: unknown) {
    const q = parseOrBadRequest(runsQuery, query, 'query');
    const data = await this.client.sync({ operation: 'reconciliations.list', companyId: await this.tenants.require(principal, companyId), limit: q.limit });
    return { cursor: data.cursor ?? null, data: data.runs ?? [] };
  }
}
