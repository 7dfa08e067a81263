import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { z } from 'zod';
import { BillingReply, Envelope, Topics, billingRequestSchema } from '@receptionist/contracts';
import { NO_REPLY } from '@receptionist/messaging';
import { companyScope, LOGGER, OnRequest, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { BillingEnv } from '../config';
import { BillingFailure } from '../common/billing-failure';
import { CreditNotesService } from '../invoices/credit-notes.service';
import { InvoicesService } from '../invoices/invoices.service';
import { LedgerService } from '../ledger/ledger.service';
import { PricesService } from '../prices/prices.service';
import type { DisplayCurrency } from '../rates/conversion';
import { DisplayConversion, ExchangeRatesService } from '../rates/exchange-rates.service';
import { TopUpsService } from '../topups/topups.service';
import { PlansService } from '../plans/plans.service';
import { SubscriptionsService } from '../plans/subscriptions.service';

type Parsed = z.output<typeof billingRequestSchema>;
type Op<K extends Parsed['operation']> = Extract<Parsed, { operation: K }>;

/** The rate a converted view was made with (display only: charges and the ledger are never converted). */
function exchangeRateView(from: DisplayCurrency, fx: DisplayConversion) {
  return { from, to: fx.currency, rate: fx.rate, date: fx.rateDate, stale: fx.stale };
}

/**
 * The responder of `billing.request` (the gateway's admin and portal API). Always answers a BillingReply;
 * every operation is scoped by the request's `companyId`, which must match the envelope's.
 */
@Injectable()
export class BillingRequestsHandler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly prices: PricesService,
    private readonly topUps: TopUpsService,
    private readonly invoices: InvoicesService,
    private readonly exchangeRates: ExchangeRatesService,
    private readonly creditNotes: CreditNotesService,
    private readonly plans: PlansService,
    private readonly subscriptions: SubscriptionsService,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_CONFIG) config: BillingEnv,
  ) {
    this.serves = companyScope(config.BILLING_SERVE_COMPANIES);
  }

  /** BILLING_SERVE_COMPANIES: which companies' requests this instance answers (see companyScope). */
  private readonly serves: (companyId: string | null | undefined) => boolean;

  @OnRequest(Topics.billingRequest.name)
  async onRequest(envelope: Envelope): Promise<BillingReply | typeof NO_REPLY> {
    const parsed = billingRequestSchema.safeParse(envelope.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, code: 'invalid_request', detail: `${issue.path.join('.') || '(root)'}: ${issue.message}` };
    }
    const request = parsed.data;
    // Another instance's company (test instances on a shared broker): that instance answers.
    if (!this.serves(request.companyId)) return NO_REPLY;
    if (envelope.companyId && envelope.companyId !== request.companyId) {
      return { ok: false, code: 'invalid_request', detail: 'companyId: does not match the envelope' };
    }
    try {
      return { ok: true, data: await this.dispatch(request) };
    } catch (error) {
      if (error instanceof BillingFailure) return { ok: false, code: error.code, detail: error.detail };
      this.logger.error({ err: error, operation: request.operation, companyId: request.companyId }, 'billing request failed unexpectedly');
      return { ok: false, detail: 'internal error' };
    }
  }

  private async dispatch(request: Parsed): Promise<Record<string, unknown>> {
    const { companyId } = request;
    switch (request.operation) {
      case 'balance.get': {
        const prices = await this.prices.effective(companyId);
        const balance = await this.ledger.balance(this.dataSource.manager, companyId);
        if (!prices && !balance) throw new BillingFailure('unknown_company', 'companyId: no billing account for this company');
        const view = {
          currency: (balance?.currency ?? prices!.currency) as DisplayCurrency,
          balance: balance?.balance ?? 0,
          bonus: balance?.bonus ?? 0,
          paid: (balance?.balance ?? 0) - (balance?.bonus ?? 0),
          state: balance?.state ?? 'ok',
          lowBalanceThreshold: prices?.lowBalanceThresholdMinor ?? null,
          autoTopUp: prices?.autoTopUp ?? false,
          // A partner's managed company pays in arrears: its balance may run negative until the partner's invoice is paid.
          postpaid: Boolean(prices?.partnerCompanyId),
          partnerCompanyId: prices?.partnerCompanyId ?? null,
        };
        const displayCurrency = (request as Op<'balance.get'>).displayCurrency;
        if (!displayCurrency) return view;
        const fx = await this.exchangeRates.conversion(view.currency, displayCurrency);
        const threshold = view.lowBalanceThreshold;
        return {
          ...view,
          display: {
            currency: fx.currency,
            balance: fx.convert(view.balance),
            bonus: fx.convert(view.bonus),
            paid: fx.convert(view.paid),
            lowBalanceThreshold: threshold === null ? null : fx.convert(threshold),
            exchangeRate: exchangeRateView(view.currency, fx),
          },
        };
      }
      case 'ledger.list': {
        const r = request as Op<'ledger.list'>;
        const entries = await this.ledger.entries(this.dataSource.manager, companyId, r.limit, r.before);
        const nextBefore = entries.length === r.limit ? entries[entries.length - 1].seq : null;
        if (!r.displayCurrency) return { entries, nextBefore };
        // One account, one currency: the page is shown with one rate.
        const from = (entries[0]?.currency ?? (await this.ledger.balance(this.dataSource.manager, companyId))?.currency ?? (await this.prices.effective(companyId))?.currency) as DisplayCurrency | undefined;
        if (!from) throw new BillingFailure('unknown_company', 'companyId: no billing account for this company');
        const fx = await this.exchangeRates.conversion(from, r.displayCurrency);
        return {
          entries: entries.map((e) => ({ ...e, display: { currency: fx.currency, amount: fx.convert(e.amount), balanceAfter: fx.convert(e.balanceAfter) } })),
          nextBefore,
          exchangeRate: exchangeRateView(from, fx),
        };
      }
      case 'prices.get': {
        const prices = await this.prices.effective(companyId);
        if (!prices) throw new BillingFailure('unknown_company', 'companyId: no billing set-up for this company');
        const display = (request as Op<'prices.get'>).displayCurrency;
        if (!display) return { prices };
        const fx = await this.exchangeRates.conversion(prices.currency, display);
        return {
          prices,
          display: {
            currency: fx.currency,
            perMinuteMinor: fx.convert(prices.perMinuteMinor),
            perBookingMinor: fx.convert(prices.perBookingMinor),
            lowBalanceThresholdMinor: fx.convert(prices.lowBalanceThresholdMinor),
            topUpMinor: fx.convert(prices.topUpMinor),
            exchangeRate: exchangeRateView(prices.currency, fx),
          },
        };
      }
      case 'rates.get': {
        // Numbers as the source wrote them (units per 1 EUR); conversions use the exact decimals behind them.
        const r = await this.exchangeRates.current();
        return { base: r.base, date: r.date, rates: { EUR: 1, GBP: Number(r.rates.GBP), USD: Number(r.rates.USD) }, stale: r.stale, fetchedAt: r.fetchedAt };
      }
      case 'prices.set': {
        const { operation: _o, companyId: _c, ...changes } = request as Op<'prices.set'>;
        await this.prices.setOverride(companyId, changes);
        return { prices: await this.prices.effective(companyId), overrides: await this.prices.override(companyId) };
      }
      case 'topup.create': {
        const r = request as Op<'topup.create'>;
        return { topUp: await this.topUps.createCheckout(r) };
      }
      case 'invoices.list':
        return { invoices: await this.invoices.list(companyId, (request as Op<'invoices.list'>).limit) };
      case 'invoice.get': {
        const invoice = await this.invoices.get(companyId, (request as Op<'invoice.get'>).invoiceId);
        if (!invoice) throw new BillingFailure('not_found', 'invoiceId: no such invoice');
        return { invoice };
      }
      case 'invoice.create':
        return { invoice: await this.invoices.createForPeriod(companyId, (request as Op<'invoice.create'>).period) };
      case 'creditNote.create':
        return this.creditNotes.create(request as Op<'creditNote.create'>);
      case 'plans.list':
        return { plans: await this.plans.list((request as Op<'plans.list'>).includeInactive) };
      case 'plan.upsert':
        return { plan: await this.plans.upsert((request as Op<'plan.upsert'>).plan) };
      case 'subscription.get':
        return this.subscriptions.view(companyId);
      case 'subscription.create':
        return this.subscriptions.create(request as Op<'subscription.create'>);
      case 'subscription.update':
        return this.subscriptions.update(request as Op<'subscription.update'>);
      case 'portal.create':
        return { portal: await this.subscriptions.portal(companyId, (request as Op<'portal.create'>).returnUrl) };
      case 'planUsage.list':
        return this.subscriptions.periods(companyId, (request as Op<'planUsage.list'>).limit);
    }
  }
}
