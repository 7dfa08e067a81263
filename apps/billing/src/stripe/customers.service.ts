import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { StripeClient } from './stripe.client';
import { Currency, LedgerService } from '../ledger/ledger.service';

/** The company's Stripe customer, created once (idempotency key per company) and remembered on the account. */
@Injectable()
export class CustomersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly stripe: StripeClient,
    private readonly ledger: LedgerService,
  ) {}

  async ensure(companyId: string, currency: Currency): Promise<string> {
    const rows = await this.dataSource.query('SELECT stripe_customer_id FROM billing_account WHERE company_id = ?', [companyId]);
    if (rows[0]?.stripe_customer_id) return rows[0].stripe_customer_id;
    const customer = await this.stripe.call('customers.create', (s) =>
      s.customers.create({ metadata: { company_id: companyId }, description: `Company ${companyId}` }, { idempotencyKey: `customer:${companyId}` }),
    );
    await this.ledger.ensureAccount(companyId, currency);
    await this.dataSource.transaction(async (manager) => {
      await this.ledger.lockAccount(manager, companyId, currency);
      await manager.query('UPDATE billing_account SET stripe_customer_id = COALESCE(stripe_customer_id, ?), updated_at = ? WHERE company_id = ?', [customer.id, new Date(), companyId]);
    });
    const [after] = await this.dataSource.query('SELECT stripe_customer_id FROM billing_account WHERE company_id = ?', [companyId]);
    return after.stripe_customer_id;
  }

  async companyForCustomer(customerId: string): Promise<string | null> {
    const rows = await this.dataSource.query('SELECT company_id FROM billing_account WHERE stripe_customer_id = ?', [customerId]);
    return rows[0]?.company_id ?? null;
  }
}
