import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { RequireAbility } from '../auth/principal';
import { Actor, CurrentActor } from '../audit/actor';
import { ZodBody } from '../common/zod-body';
import { createUserSchema, CreateUserDto, updateUserSchema, UpdateUserDto } from './dto';
import { UsersService, userView } from './users.service';

/** A company's users and their roles. */
@Controller('api/v1/companies/:companyId/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @RequireAbility('users.read')
  async list(@CurrentActor() actor: Actor, @Param('companyId') companyId: string) {
    return { data: (await this.users.list(actor, companyId)).map(userView) };
  }

  @Post()
  @RequireAbility('users.manage')
  async create(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Body(new ZodBody(createUserSchema)) dto: CreateUserDto) {
    return userView(await this.users.create(actor, companyId, dto));
  }

  @Get(':userId')
  @RequireAbility('users.read')
  async get(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('userId') userId: string) {
    return userView(await this.users.get(actor, companyId, userId));
  }

  @Patch(':userId')
  @RequireAbility('users.manage')
  async update(@CurrentActor() actor: Actor, @Param('companyId') companyId: string, @Param('userId') userId: string, @Body(new ZodBody(updateUserSchema)) dto: UpdateUserDto) {
    return userView(await this.users.update(actor, companyId, userId, dto));
  }
}
