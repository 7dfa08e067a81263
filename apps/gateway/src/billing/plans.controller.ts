import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import type { PlanDefinition } from '@receptionist/contracts';
import { CurrentPrincipal, Principal, RequireAbility } from '../auth/principal';
import { Actor, CurrentActor, auditBy } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { parseOrBadRequest, ZodBody } from '../common/zod-body';
import { DescribeHeaders, DescribeQuery } from '../openapi/describe';
import { TenantCompanies } from '../companies/tenant-companies';
import { RateLimit } from '../rate-limit';
import { BillingClient } from './billing.client';
import {
  CreateSubscriptionDto,
  PortalSessionDto,
  UpdateSubscriptionDto,
  createSubscriptionSchema,
  idempotencyKeyHeader,
  planUsageQuery,
  plansQuery,
  portalSessionSchema,
  updateSubscriptionSchema,
  upsertPlanSchema,
} from './dto';

/**
 * Plans the platform operator offers (billing owns them; the same documents as billing's BILLING_PLANS). Plans
 * are not a company's record: billing is asked under the reserved scope `platform`.
 */
@Controller('api/v1/plans')
export class PlansController {
  constructor(
    private readonly billing: BillingClient,
    private readonly audit: AuditService,
  ) {}

  /** The plans on offer: fee per interval, included minutes and bookings, overage rates and trial days per currency. */
  @Get()
  @RequireAbility('billing.read')
  @DescribeQuery(plansQuery)
  async list(@Query() query: unknown) {
    const q = parseOrBadRequest(plansQuery, query, 'query');
    const reply = await this.billing.ask({ operation: 'plans.list', companyId: 'platform', includeInactive: q.includeInactive === 'true' });
    return { data: reply.plans ?? [] };
  }

  /** Creates or changes a plan (platform operators: `pricing.manage`). Subscriptions keep their Stripe price until changed. Audited. */
  @Post()
  @HttpCode(200)
  @RateLimit('sensitive')
  @RequireAbility('pricing.manage')
  async upsert(@CurrentActor() actor: Actor, @Body(new ZodBody(upsertPlanSchema)) dto: PlanDefinition) {
    const reply = await this.billing.ask({ operation: 'plan.upsert', companyId: 'platform', plan: dto });
    await this.audit.record({ ...auditBy(actor), action: 'billing.plan.upserted', companyId: null, targetType: 'plan', targetId: dto.code, changes: dto as unknown as Record<string, unknown> });
    return reply.plan;
  }
}

/**
 * A company's plan subscription (Stripe Billing): subscribe, change plan, cancel at period end, the refusal message
 * for an unpaid plan, the Stripe customer portal, and usage against the plan per period. Another company's → 404.
 */
@Controller('api/v1/companies/:companyId/billing')
export class SubscriptionController {
  constructor(
    private readonly billing: BillingClient,
    private readonly tenants: TenantCompanies,
    private readonly audit: AuditService,
  ) {}

  /**
   * The subscription (`null` when none): plan, status (trialing, active, past_due, canceled…), current period and
   * its usage, cancel at period end, dunning (grace period end, reminders sent, calls refused) and recent invoices.
   */
  @Get('subscription')
  @RequireAbility('billing.read')
  async get(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string) {
    return this.billing.ask({ operation: 'subscription.get', companyId: await this.tenants.require(principal, companyId) });
  }

  /** Subscribes to a plan (201); a trial first when the plan has one. Unknown plan or another currency than the account's: 400. Already subscribed: 409. */
  @Post('subscription')
  @RateLimit('sensitive')
  @RequireAbility('billing.manage')
  @DescribeHeaders({ name: 'Idempotency-Key', required: false, description: 'A retried POST with the same key answers the same subscription' })
  async create(
    @CurrentActor() actor: Actor,
    @Param('companyId') companyId: string,
    @Body(new ZodBody(createSubscriptionSchema)) dto: CreateSubscriptionDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ) {
    const key = idempotencyKey === undefined ? undefined : parseOrBadRequest(idempotencyKeyHeader, idempotencyKey, 'Idempotency-Key');
    const id = await this.tenants.require(actor.principal, companyId);
    const reply = await this.billing.ask({ operation: 'subscription.create', companyId: id, ...dto, ...(key ? { idempotencyKey: key } : {}) });
    await this.audit.record({ ...auditBy(actor), action: 'billing.subscription.created', companyId: id, targetType: 'subscription', targetId: id, changes: { planCode: dto.planCode, currency: dto.currency } });
    return reply;
  }

  /** Upgrade or downgrade (Stripe prorates; a downgrade below this period's usage: 409), cancel at period end, the refusal message. */
  @Patch('subscription')
  @RateLimit('sensitive')
  @RequireAbility('billing.manage')
  async update(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Body(new ZodBody(updateSubscriptionSchema)) dto: UpdateSubscriptionDto) {
    const id = await this.tenants.require(actor.principal, companyId);
    const reply = await this.billing.ask({ operation: 'subscription.update', companyId: id, ...dto });
    await this.audit.record({ ...auditBy(actor), action: 'billing.subscription.updated', companyId: id, targetType: 'subscription', targetId: id, changes: dto });
    return reply;
  }

  /** A Stripe customer portal session (payment methods, invoices, paying an overdue one); answers its URL. */
  @Post('portal-session')
  @RateLimit('sensitive')
  @RequireAbility('billing.manage')
  async portal(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Body(new ZodBody(portalSessionSchema)) dto: PortalSessionDto) {
    const id = await this.tenants.require(actor.principal, companyId);
    const reply = await this.billing.ask({ operation: 'portal.create', companyId: id, ...(dto.returnUrl ? { returnUrl: dto.returnUrl } : {}) });
    return reply.portal;
  }

  /** Usage against the plan per period, newest first: included, used, overage seconds and bookings, and what the overage cost. */
  @Get('plan-usage')
  @RequireAbility('billing.read')
  @DescribeQuery(planUsageQuery)
  async usage(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Query() query: unknown) {
    const q = parseOrBadRequest(planUsageQuery, query, 'query');
    const reply = await this.billing.ask({ operation: 'planUsage.list', companyId: await this.tenants.require(principal, companyId), limit: q.limit });
    return { data: reply.periods ?? [], planInForce: reply.planInForce ?? false };
  }
}
