import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { z } from 'zod';
import { BillingReply, Envelope, Topics, billingRequestSchema } from '@receptionist/contracts';
import { LOGGER, OnRequest, SERVICE_CONFIG } from '@receptionist/service-runtime';
import type { BillingEnv } from '../config';
import { BillingFailure } from '../common/billing-failure';
import { InvoicesService } from '../invoices/invoices.service';
import { LedgerService } from '../ledger/ledger.service';
import { PricesService } from '../prices/prices.service';
import { TopUpsService } from '../topups/topups.service';

type Parsed = z.output<typeof billingRequestSchema>;
type Op<K extends Parsed['operation']> = Extract<Parsed, { operation: K }>;

/** BILLING_SERVE_COMPANIES (ids, `prefix*`; all when unset): which companies' requests this instance answers. */
export function servesCompanies(setting: string | undefined): { serves: (companyId: string) => boolean } {
  const entries = (setting ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) return { serves: () => true };
  const exact = new Set(entries.filter((e) => !e.endsWith('*')));
  const prefixes = entries.filter((e) => e.endsWith('*')).map((e) => e.slice(0, -1));
  return { serves: (id) => exact.has(id) || prefixes.some((p) => id.startsWith(p)) };
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
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_CONFIG) config: BillingEnv,
  ) {
    this.companies = servesCompanies(config.BILLING_SERVE_COMPANIES);
  }

  private readonly companies: { serves: (companyId: string) => boolean };

  /** Another instance's company (tests on a shared broker): answer only after the deadline, when the requester no longer listens. */
  private async notMine(deadline?: number): Promise<BillingReply> {
    const wait = Math.min(Math.max(0, (deadline ?? 0) - Date.now()) + 50, 30_000);
    await new Promise((r) => setTimeout(r, wait));
    return { ok: false, code: 'not_found', detail: 'company not served by this instance' };
  }

  @OnRequest(Topics.billingRequest.name)
  async onRequest(envelope: Envelope, deadline?: number): Promise<BillingReply> {
    const parsed = billingRequestSchema.safeParse(envelope.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, code: 'invalid_request', detail: `${issue.path.join('.') || '(root)'}: ${issue.message}` };
    }
    const request = parsed.data;
    if (!this.companies.serves(request.companyId)) return this.notMine(deadline);
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
      case 'invoice.get': {
        const invoice = await this.invoices.get(companyId, (request as Op<'invoice.get'>).invoiceId);
        if (!invoice) throw new BillingFailure('not_found', 'invoiceId: no such invoice');
        return { invoice };
      }
      case 'invoice.create':
        return { invoice: await this.invoices.createForPeriod(companyId, (request as Op<'invoice.create'>).period) };
    }
  }
}
