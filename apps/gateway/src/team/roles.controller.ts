import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { RequireAbility } from '../auth/principal';
import { Actor, CurrentActor } from '../audit/actor';
import { ZodBody } from '../common/zod-body';
import { CreateRoleDto, createRoleSchema, UpdateRoleDto, updateRoleSchema } from './dto';
import { CompanyRolesService } from './roles.service';

/** A company's roles: the built-in ones and its own, built from abilities. */
@Controller('api/v1/companies/:companyId/roles')
export class CompanyRolesController {
  constructor(private readonly roles: CompanyRolesService) {}

  @Get()
  @RequireAbility('users.read')
  async list(@CurrentActor() actor: Actor, @Param('companyId') companyId: string) {
    return { data: await this.roles.list(actor, companyId), next: null };
  }

  @Post()
  @RequireAbility('users.manage')
  create(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Body(new ZodBody(createRoleSchema)) dto: CreateRoleDto) {
    return this.roles.create(actor, companyId, dto);
  }

  @Get(':roleId')
  @RequireAbility('users.read')
  get(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('roleId') roleId: string) {
    return this.roles.get(actor, companyId, roleId);
  }

  @Patch(':roleId')
  @RequireAbility('users.manage')
  update(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('roleId') roleId: string, @Body(new ZodBody(updateRoleSchema)) dto: UpdateRoleDto) {
    return this.roles.update(actor, companyId, roleId, dto);
  }

  @Delete(':roleId')
  @HttpCode(204)
  @RequireAbility('users.manage')
  async remove(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('roleId') roleId: string) {
    await this.roles.remove(actor, companyId, roleId);
  }
}
