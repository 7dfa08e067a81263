import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { z } from 'zod';
import { BillingReply, Envelope, Topics, billingRequestSchema } from '@receptionist/contracts';
import { LOGGER, OnRequest } from '@receptionist/service-runtime';
import { BillingFailure } from '../common/billing-failure';
import { InvoicesService } from '../invoices/invoices.service';
import { LedgerService } from '../ledger/ledger.service';
import { PricesService } from '../prices/prices.service';
import { TopUpsService } from '../topups/topups.service';

type Parsed = z.output<typeof billingRequestSchema>;
type Op<K extends Parsed['operation']> = Extract<Parsed, { operation: K }>;

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
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @OnRequest(Topics.billingRequest.name)
  async onRequest(envelope: Envelope): Promise<BillingReply> {
    const parsed = billingRequestSchema.safeParse(envelope.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, code: 'invalid_request', detail: `${issue.path.join('.') || '(root)'}: ${issue.message}` };
    }
    const request = parsed.data;
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
        return {
          currency: balance?.currency ?? prices!.currency,
          balance: balance?.balance ?? 0,
          bonus: balance?.bonus ?? 0,
          paid: (balance?.balance ?? 0) - (balance?.bonus ?? 0),
          state: balance?.state ?? 'ok',
          lowBalanceThreshold: prices?.lowBalanceThresholdMinor ?? null,
          autoTopUp: prices?.autoTopUp ?? false,
        };
      }
      case 'ledger.list': {
        const r = request as Op<'ledger.list'>;
        const entries = await this.ledger.entries(this.dataSource.manager, companyId, r.limit, r.before);
        return { entries, nextBefore: entries.length === r.limit ? entries[entries.length - 1].seq : null };
      }
      case 'prices.get': {
        const prices = await this.prices.effective(companyId);
        if (!prices) throw new BillingFailure('unknown_company', 'companyId: no billing set-up for this company');
        return { prices };
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
      case 'invoice.create':
        return { invoice: await this.invoices.createForPeriod(companyId, (request as Op<'invoice.create'>).period) };
    }
  }
}
