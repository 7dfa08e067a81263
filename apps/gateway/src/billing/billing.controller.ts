import { Body, Controller, Get, Headers, HttpCode, NotFoundException, Param, Patch, Post, Query } from '@nestjs/common';
import { CurrentPrincipal, Principal, RequireAbility } from '../auth/principal';
import { Actor, CurrentActor, auditBy } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { parseOrBadRequest, UUID_RE, ZodBody } from '../common/zod-body';
import { DescribeQuery } from '../openapi/describe';
import { TenantCompanies } from '../companies/tenant-companies';
import { RateLimit } from '../rate-limit';
import { BillingClient } from './billing.client';
import { CreateCreditNoteDto, CreateInvoiceDto, CreateTopUpDto, SetPricesDto, createCreditNoteSchema, createInvoiceSchema, createTopUpSchema, displayCurrencyQuery, idempotencyKeyHeader, invoicesQuery, ledgerQuery, setPricesSchema } from './dto';

/**
 * A company's billing (owned by billing, asked over `billing.request`): balance, ledger, prices, Stripe Checkout
 * top-ups and invoices. The AuthGuard answers 404 to a token of another company before anything here runs; the
 * company sent to billing is always the checked one from the path. Money is integer minor units.
 */
@Controller('api/v1/companies/:companyId/billing')
export class BillingController {
  constructor(
    private readonly billing: BillingClient,
    private readonly tenants: TenantCompanies,
    private readonly audit: AuditService,
  ) {}

  /** The company the principal may act on (another company's looks like a missing one: 404). */
  private company(principal: Principal, companyId: string): Promise<string> {
    return this.tenants.require(principal, companyId);
  }

  /**
   * Balance (paid + bonus credit), currency, state (ok / low / exhausted), low-balance threshold, postpaid (a
   * partner's managed company, settled when the partner pays its aggregate invoice). `?currency=USD`
   * adds `display`: the same amounts converted at the current ECB rate, with the rate, its date and `stale`.
   */
  @Get('balance')
  @RequireAbility('billing.read')
  async balance(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Query() query: unknown) {
    const q = parseOrBadRequest(displayCurrencyQuery, query, 'query');
    return this.billing.ask({ operation: 'balance.get', companyId: await this.company(principal, companyId), displayCurrency: q.currency });
  }

  /** Ledger entries, newest first; `next` is the `before` of the following page (null on the last). */
  @Get('ledger')
  @RequireAbility('billing.read')
  @DescribeQuery(ledgerQuery)
  async ledger(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Query() query: unknown) {
    const q = parseOrBadRequest(ledgerQuery, query, 'query');
    const page = await this.billing.ask({ operation: 'ledger.list', companyId: await this.company(principal, companyId), limit: q.limit, before: q.before, displayCurrency: q.currency });
    return { data: page.entries ?? [], next: page.nextBefore ?? null, ...(page.exchangeRate ? { exchangeRate: page.exchangeRate } : {}) };
  }

  /** Effective prices: the plan from the company's set-up with its overrides applied; `?currency=` adds `display`. */
  @Get('prices')
  @RequireAbility('billing.read')
  async prices(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Query() query: unknown) {
    const q = parseOrBadRequest(displayCurrencyQuery, query, 'query');
    const reply = await this.billing.ask({ operation: 'prices.get', companyId: await this.company(principal, companyId), displayCurrency: q.currency });
    return reply.display ? { ...(reply.prices as object), display: reply.display } : reply.prices;
  }

  /**
   * Sets the company's price overrides (platform admins: `pricing.manage`); answers the effective prices and the
   * overrides. Charges from then on use them; what was already debited never changes. Audited.
   */
  @Patch('prices')
  @RateLimit('sensitive')
  @RequireAbility('pricing.manage')
  async setPrices(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Body(new ZodBody(setPricesSchema)) dto: SetPricesDto) {
    const id = await this.company(actor.principal, companyId);
    const reply = await this.billing.ask({ operation: 'prices.set', companyId: id, ...dto });
    await this.audit.record({ ...auditBy(actor), action: 'billing.prices.updated', companyId: id, targetType: 'company', targetId: id, changes: dto });
    return { prices: reply.prices, overrides: reply.overrides };
  }

  /**
   * The ECB reference rates (EUR base: units per 1 EUR) billing converts displayed amounts with, their publication
   * date and `stale` (the source is down: these are the last good ones). 503 when there never were any.
   */
  @Get('exchange-rates')
  @RequireAbility('billing.read')
  async exchangeRates(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string) {
    return this.billing.ask({ operation: 'rates.get', companyId: await this.company(principal, companyId) });
  }

  /**
   * Creates a Stripe Checkout Session for a top-up and answers its URL (201). The balance is credited once, when
   * Stripe's `checkout.session.completed` webhook arrives. `Idempotency-Key` makes a retried POST answer the same session.
   */
  @Post('top-ups')
  @RateLimit('sensitive')
  @RequireAbility('billing.manage')
  async topUp(
    @CurrentActor() actor: Actor,
    @Param('companyId') companyId: string,
    @Body(new ZodBody(createTopUpSchema)) dto: CreateTopUpDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ) {
    const key = idempotencyKey === undefined ? undefined : parseOrBadRequest(idempotencyKeyHeader, idempotencyKey, 'Idempotency-Key');
    const id = await this.company(actor.principal, companyId);
    const reply = await this.billing.ask({ operation: 'topup.create', companyId: id, ...dto, ...(key ? { idempotencyKey: key } : {}) });
    const topUp = reply.topUp as { topUpId: string; amount: number; currency: string; checkoutUrl: string | null };
    // After the fact: billing owns the top-up, the gateway records who asked for it.
    await this.audit.record({
      ...auditBy(actor),
      action: 'billing.top_up.created',
      companyId: id,
      targetType: 'top_up',
      targetId: topUp.topUpId,
      changes: { amount: dto.amount, currency: dto.currency, ...(key ? { idempotencyKey: key } : {}) },
    });
    return topUp;
  }

  @Get('invoices')
  @RequireAbility('billing.read')
  async invoices(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Query() query: unknown) {
    const q = parseOrBadRequest(invoicesQuery, query, 'query');
    const reply = await this.billing.ask({ operation: 'invoices.list', companyId: await this.company(principal, companyId), limit: q.limit });
    return { data: reply.invoices ?? [] };
  }

  /** One invoice with its lines, totals, state and Stripe's hosted page and PDF links. */
  @Get('invoices/:invoiceId')
  @RequireAbility('billing.read')
  async invoice(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Param('invoiceId') invoiceId: string) {
    if (!UUID_RE.test(invoiceId)) throw new NotFoundException('invoice not found');
    const reply = await this.billing.ask({ operation: 'invoice.get', companyId: await this.company(principal, companyId), invoiceId }, 'invoice not found');
    return reply.invoice;
  }

  /** Invoices a month's usage now (the monthly run does it otherwise); the same month again answers the same invoice. */
  @Post('invoices')
  @HttpCode(200)
  @RateLimit('sensitive')
  @RequireAbility('billing.manage')
  async createInvoice(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Body(new ZodBody(createInvoiceSchema)) dto: CreateInvoiceDto) {
    const id = await this.company(actor.principal, companyId);
    const reply = await this.billing.ask({ operation: 'invoice.create', companyId: id, period: dto.period });
    const invoice = reply.invoice as { invoiceId: string; total: number; currency: string };
    await this.audit.record({ ...auditBy(actor), action: 'billing.invoice.created', companyId: id, targetType: 'invoice', targetId: invoice.invoiceId, changes: { period: dto.period, total: invoice.total, currency: invoice.currency } });
    return invoice;
  }

  /**
   * Refunds part or all of a paid invoice with a Stripe credit note (201). A company invoice's refund goes back to
   * its prepaid balance (ledger `refund`); a partner's aggregate invoice is credited to the partner's Stripe customer
   * balance. `Idempotency-Key` makes a retried POST answer the same credit note. A refund is the platform's
   * decision (`billing.refund`, platform admins only): a company admin's `billing.manage` does not suffice.
   */
  @Post('invoices/:invoiceId/credit-notes')
  @RateLimit('sensitive')
  @RequireAbility('billing.refund')
  async createCreditNote(
    @CurrentActor() actor: Actor,
    @Param('companyId') companyId: string,
    @Param('invoiceId') invoiceId: string,
    @Body(new ZodBody(createCreditNoteSchema)) dto: CreateCreditNoteDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
  ) {
    const key = idempotencyKey === undefined ? undefined : parseOrBadRequest(idempotencyKeyHeader, idempotencyKey, 'Idempotency-Key');
    const id = await this.company(actor.principal, companyId);
    if (!UUID_RE.test(invoiceId)) throw new NotFoundException('invoice not found');
    const reply = await this.billing.ask({ operation: 'creditNote.create', companyId: id, invoiceId, ...dto, ...(key ? { idempotencyKey: key } : {}) }, 'invoice not found');
    const creditNote = reply.creditNote as { creditNoteId: string; amount: number; currency: string };
    await this.audit.record({
      ...auditBy(actor),
      action: 'billing.credit_note.created',
      companyId: id,
      targetType: 'invoice',
      targetId: invoiceId,
      changes: { creditNoteId: creditNote.creditNoteId, amount: creditNote.amount, currency: creditNote.currency, reason: dto.reason, ...(key ? { idempotencyKey: key } : {}) },
    });
    return { ...(reply.creditNote as object), invoiceRefunded: reply.invoiceRefunded };
  }
}
