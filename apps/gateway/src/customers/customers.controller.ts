import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { Actor, CurrentActor } from '../audit/actor';
import { CurrentPrincipal, Principal, RequireAbility } from '../auth/principal';
import { parseOrBadRequest, ZodBody } from '../common/zod-body';
import { TenantCompanies } from '../companies/tenant-companies';
import { DescribeQuery } from '../openapi/describe';
import { CustomersService } from './customers.service';
import { MergeCustomersDto, UpdateCustomerDto, mergeCustomersSchema, searchCustomersQuery, updateCustomerSchema } from './dto';

/**
 * A company's customers for its own staff (receptionists read and correct them: the appointment abilities). The
 * AuthGuard answers 404 to another company's token before anything here runs; booking answers only within the
 * path's company.
 */
@Controller('api/v1/companies/:companyId/customers')
export class CustomersController {
  constructor(
    private readonly service: CustomersService,
    private readonly tenants: TenantCompanies,
  ) {}

  @Get()
  @RequireAbility('appointments.read')
  @DescribeQuery(searchCustomersQuery)
  async search(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Query() query: unknown) {
    const q = parseOrBadRequest(searchCustomersQuery, query, 'query');
    return this.service.search(await this.tenants.require(principal, companyId), q);
  }

  @Get(':customerId')
  @RequireAbility('appointments.read')
  async get(@CurrentPrincipal() principal: Principal, @Param('companyId') companyId: string, @Param('customerId') customerId: string) {
    return this.service.get(await this.tenants.require(principal, companyId), customerId);
  }

  @Patch(':customerId')
  @RequireAbility('appointments.manage')
  async update(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('customerId') customerId: string, @Body(new ZodBody(updateCustomerSchema)) dto: UpdateCustomerDto) {
    return this.service.update(actor, await this.tenants.require(actor.principal, companyId), customerId, dto);
  }

  /** Keeps the path's customer; `duplicateId` (same company) is merged into it. */
  @Post(':customerId/merge')
  @HttpCode(200)
  @RequireAbility('appointments.manage')
  async merge(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('customerId') customerId: string, @Body(new ZodBody(mergeCustomersSchema)) dto: MergeCustomersDto) {
    return this.service.merge(actor, await this.tenants.require(actor.principal, companyId), customerId, dto);
  }
}
