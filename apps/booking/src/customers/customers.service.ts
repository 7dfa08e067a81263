import { Injectable } from '@nestjs/common';
import { CustomerEntity } from './customer.entity';
import { CustomersRepository } from './customers.repository';

export interface CustomerView {
  customerId: string;
  name: string;
  phone: string | null;
  email: string | null;
  language: string;
}

export const customerView = (c: CustomerEntity): CustomerView => ({
  customerId: c.id,
  name: c.name,
  phone: c.phone,
  email: c.email,
  language: c.language,
});

export type CustomerRef = { phone: string } | { customerId: string };

@Injectable()
export class CustomersService {
  constructor(private readonly repo: CustomersRepository) {}

  /** By exact number or by id, within the company only. */
  find(companyId: string, ref: CustomerRef): Promise<CustomerEntity | null> {
    return 'phone' in ref ? this.repo.findByPhone(companyId, ref.phone) : this.repo.findById(companyId, ref.customerId);
  }
}
