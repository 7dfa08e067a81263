import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { callbackDeliveryStatuses, callbackEventTypes } from '@receptionist/contracts';
import { Actor, CurrentActor, auditBy } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { CurrentPrincipal, Principal, RequireAbility } from '../auth/principal';
import { parseOrBadRequest, UUID_RE, ZodBody } from '../common/zod-body';
import { DescribeQuery } from '../openapi/describe';
import { TenantCompanies } from '../companies/tenant-companies';
import { RateLimit } from '../rate-limit';
import { CallbackSubscriptionsClient } from './callback-subscriptions.client';

export const createSubscriptionSchema = z
  .object({
    /** Where the events are POSTed: https, a public host (sync checks it again at every delivery). */
    url: z.string().trim().min(1).max(2000),
    events: z.array(z.enum(callbackEventTypes)).min(1).max(callbackEventTypes.length),
    description: z.string().trim().max(200).nullable().optional(),
  })
  .strict();
type CreateSubscriptionDto = z.infer<typeof createSubscriptionSchema>;

/** Hours the old secret keeps signing beside the new one (default 24; 0 stops it at once). */
export const rotateSecretSchema = z.object({ oldSecretValidHours: z.number().int().min(0).max(168).optional() }).strict().optional();

const deliveriesQuery = z.strictObject({
  status: z.enum(callbackDeliveryStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(200).optional(),
});

const hostOf = (url: unknown) => {
  try {
    return new URL(String(url)).host;
  } catch {
    return null;
  }
};

/**
 * A company's callback webhooks: its own systems subscribe a URL to some of the platform's events (bookings,
 * calls, invoices, balance), and sync POSTs each one there, signed the Standard Webhooks way with the subscription's
 * secret (shown once, at creation and rotation). Another company's subscription is a 404; changes are audited
 * without the secret.
 */
@Controller('api/v1/companies/:companyId/callback-subscriptions')
export class CallbackSubscriptionsController {
  constructor(
    private readonly sync: CallbackSubscriptionsClient,
    private readonly tenants: TenantCompanies,
    private readonly audit: AuditService,
  ) {}

  /** The company the principal may act on (another company's looks like a missing one: 404). */
  private company(principal: Principal, companyId: string): Promise<string> {
    return this.tenants.require(principal, companyId);
  }

  private static subscriptionId(id: string): string {
    if (!UUID_RE.test(id)) throw new NotFoundException('callback subscription not found');
    return id;
  }

  @Post()
  @RateLimit('sensitive')
  @RequireAbility('integrations.manage')
  async create(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Body(new ZodBody(createSubscriptionSchema)) dto: CreateSubscriptionDto) {
    const id = await this.company(actor.principal, companyId);
    const { subscription } = (await this.sync.ask({ operation: 'subscription.create', companyId: id, ...dto })) as { subscription: Record<string, unknown> };
    await this.audit.record({
      ...auditBy(actor),
      action: 'callback_subscription.created',
      companyId: id,
      targetType: 'callback_subscription',
      targetId: String(subscription.subscriptionId),
      changes: { host: hostOf(subscription.url), events: subscription.events },
    });
    return subscription;
  }

  @Get()
  @RequireAbility('integrations.manage')
  async list(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string) {
    const reply = await this.sync.ask({ operation: 'subscriptions.list', companyId: await this.company(principal, companyId) });
    return { data: reply.subscriptions ?? [] };
  }

  @Delete(':subscriptionId')
  @HttpCode(204)
  @RequireAbility('integrations.manage')
  async remove(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('subscriptionId') subscriptionId: string) {
    const id = await this.company(actor.principal, companyId);
    await this.sync.ask({ operation: 'subscription.delete', companyId: id, subscriptionId: CallbackSubscriptionsController.subscriptionId(subscriptionId) });
    await this.audit.record({ ...auditBy(actor), action: 'callback_subscription.deleted', companyId: id, targetType: 'callback_subscription', targetId: subscriptionId, changes: {} });
  }

  /**
   * A new signing secret, answered once. The old one keeps signing beside it (two signatures per delivery) for
   * `oldSecretValidHours` (default 24), so the receiver can switch without refusing anything; 0 stops it at once.
   */
  @Post(':subscriptionId/rotate-secret')
  @HttpCode(200)
  @RateLimit('sensitive')
  @RequireAbility('integrations.manage')
  async rotate(
    @CurrentActor() actor: Actor,
    @Param('companyId') companyId: string,
    @Param('subscriptionId') subscriptionId: string,
    @Body(new ZodBody(rotateSecretSchema)) dto: z.infer<typeof rotateSecretSchema>,
  ) {
    const id = await this.company(actor.principal, companyId);
    const oldSecretValidHours = dto?.oldSecretValidHours ?? 24;
    const { subscription } = await this.sync.ask({ operation: 'subscription.rotateSecret', companyId: id, subscriptionId: CallbackSubscriptionsController.subscriptionId(subscriptionId), oldSecretValidHours });
    await this.audit.record({ ...auditBy(actor), action: 'callback_subscription.secret_rotated', companyId: id, targetType: 'callback_subscription', targetId: subscriptionId, changes: { oldSecretValidHours } });
    return subscription;
  }

  /** Queues a signed `callback.test` delivery to the subscription's URL; its outcome shows in the deliveries. */
  @Post(':subscriptionId/test')
  @HttpCode(202)
  @RequireAbility('integrations.manage')
  async test(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Param('subscriptionId') subscriptionId: string) {
    return this.sync.ask({ operation: 'subscription.test', companyId: await this.company(principal, companyId), subscriptionId: CallbackSubscriptionsController.subscriptionId(subscriptionId) });
  }

  /** Every delivery with its attempts and last answer, newest first; `next` is the `cursor` of the following page. */
  @Get(':subscriptionId/deliveries')
  @DescribeQuery(deliveriesQuery)
  @RequireAbility('integrations.manage')
  async deliveries(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Param('subscriptionId') subscriptionId: string, @Query() query: unknown) {
    const q = parseOrBadRequest(deliveriesQuery, query, 'query');
    const reply = await this.sync.ask({
      operation: 'deliveries.list',
      companyId: await this.company(principal, companyId),
      subscriptionId: CallbackSubscriptionsController.subscriptionId(subscriptionId),
      ...q,
    });
    return { data: reply.deliveries ?? [], next: reply.next ?? null };
  }

  /** Sends one delivery again (same webhook id: a receiver that had it already can tell). */
  @Post(':subscriptionId/deliveries/:deliveryId/retry')
  @HttpCode(202)
  @RequireAbility('integrations.manage')
  async retry(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Param('subscriptionId') subscriptionId: string, @Param('deliveryId') deliveryId: string) {
    if (!UUID_RE.test(deliveryId)) throw new NotFoundException('delivery not found');
    const reply = await this.sync.ask({
      operation: 'delivery.retry',
      companyId: await this.company(principal, companyId),
      subscriptionId: CallbackSubscriptionsController.subscriptionId(subscriptionId),
      deliveryId,
    });
    return reply.delivery;
  }
}
