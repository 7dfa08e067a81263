import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { RequireAbility } from '../auth/principal';
import { Actor, CurrentActor } from '../audit/actor';
import { ZodBody } from '../common/zod-body';
import { agentView, branchView, companyView, CompaniesService, phoneNumberView } from './companies.service';
import {
  createAgentSchema,
  CreateAgentDto,
  createBranchSchema,
  CreateBranchDto,
  createCompanySchema,
  CreateCompanyDto,
  createPhoneNumberSchema,
  CreatePhoneNumberDto,
  updateBranchSchema,
  UpdateBranchDto,
  updateCompanySchema,
  UpdateCompanyDto,
} from './dto';

/**
 * Admin API for companies and their routing. Platform admins create companies and see all of them; company
 * admins read and update their own. Another company's records answer 404.
 */
@Controller('api/v1/companies')
export class CompaniesController {
  constructor(private readonly companies: CompaniesService) {}

  @Post()
  @RequireAbility('companies.create')
  async create(@CurrentActor() actor: Actor, @Body(new ZodBody(createCompanySchema)) dto: CreateCompanyDto) {
    return companyView(await this.companies.create(actor, dto));
  }

  @Get()
  @RequireAbility('companies.read')
  async list(@CurrentActor() actor: Actor) {
    return { data: (await this.companies.list(actor)).map(companyView) };
  }

  @Get(':companyId')
  @RequireAbility('companies.read')
  async get(@CurrentActor() actor: Actor, @Param('companyId') companyId: string) {
    return companyView(await this.companies.get(actor, companyId));
  }

  @Patch(':companyId')
  @RequireAbility('companies.update')
  async update(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Body(new ZodBody(updateCompanySchema)) dto: UpdateCompanyDto) {
    return companyView(await this.companies.update(actor, companyId, dto));
  }

  // ---- branches

  @Get(':companyId/branches')
  @RequireAbility('companies.read')
  async listBranches(@CurrentActor() actor: Actor, @Param('companyId') companyId: string) {
    return { data: (await this.companies.listBranches(actor, companyId)).map(branchView) };
  }

  @Post(':companyId/branches')
  @RequireAbility('branches.manage')
  async createBranch(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Body(new ZodBody(createBranchSchema)) dto: CreateBranchDto) {
    return branchView(await this.companies.createBranch(actor, companyId, dto));
  }

  @Get(':companyId/branches/:branchId')
  @RequireAbility('companies.read')
  async getBranch(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('branchId') branchId: string) {
    return branchView(await this.companies.getBranch(actor, companyId, branchId));
  }

  @Patch(':companyId/branches/:branchId')
  @RequireAbility('branches.manage')
  async updateBranch(
    @CurrentActor() actor: Actor,
    @Param('companyId') companyId: string,
    @Param('branchId') branchId: string,
    @Body(new ZodBody(updateBranchSchema)) dto: UpdateBranchDto,
  ) {
    return branchView(await this.companies.updateBranch(actor, companyId, branchId, dto));
  }

  @Delete(':companyId/branches/:branchId')
  @HttpCode(204)
  @RequireAbility('branches.manage')
  async deleteBranch(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('branchId') branchId: string) {
    await this.companies.deleteBranch(actor, companyId, branchId);
  }

  // ---- routing

  @Get(':companyId/phone-numbers')
  @RequireAbility('companies.read')
  async listPhoneNumbers(@CurrentActor() actor: Actor, @Param('companyId') companyId: string) {
    return { data: (await this.companies.listPhoneNumbers(actor, companyId)).map(phoneNumberView) };
  }

  @Post(':companyId/phone-numbers')
  @RequireAbility('routing.manage')
  async addPhoneNumber(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Body(new ZodBody(createPhoneNumberSchema)) dto: CreatePhoneNumberDto) {
    return phoneNumberView(await this.companies.addPhoneNumber(actor, companyId, dto));
  }

  @Delete(':companyId/phone-numbers/:phoneNumberId')
  @HttpCode(204)
  @RequireAbility('routing.manage')
  async removePhoneNumber(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('phoneNumberId') id: string) {
    await this.companies.removePhoneNumber(actor, companyId, id);
  }

  @Get(':companyId/agents')
  @RequireAbility('companies.read')
  async listAgents(@CurrentActor() actor: Actor, @Param('companyId') companyId: string) {
    return { data: (await this.companies.listAgents(actor, companyId)).map(agentView) };
  }

  @Post(':companyId/agents')
  @RequireAbility('routing.manage')
  async addAgent(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Body(new ZodBody(createAgentSchema)) dto: CreateAgentDto) {
    return agentView(await this.companies.addAgent(actor, companyId, dto));
  }

  @Delete(':companyId/agents/:agentRecordId')
  @HttpCode(204)
  @RequireAbility('routing.manage')
  async removeAgent(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('agentRecordId') id: string) {
    await this.companies.removeAgent(actor, companyId, id);
  }
}
