import { RateLimit } from '../rate-limit';
import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post, UnprocessableEntityException } from '@nestjs/common';
import { RequireAbility } from '../auth/principal';
import { Actor, auditBy, CurrentActor } from '../audit/actor';
import { ZodBody } from '../common/zod-body';
import { AccessTokensService, tokenView } from './access-tokens.service';
import { createTokenSchema, CreateTokenDto } from './dto';
import { UsersRepository } from './users.repository';

/** The caller's personal access tokens. */
@Controller('api/v1/tokens')
export class TokensController {
  constructor(
    private readonly tokens: AccessTokensService,
    private readonly users: UsersRepository,
  ) {}

  /** The secret is in this answer only. Abilities default to (and may not exceed) the calling token's. */
  @Post()
  @RateLimit('sensitive')
  @RequireAbility('tokens.manage')
  async create(@CurrentActor() actor: Actor, @Body(new ZodBody(createTokenSchema)) dto: CreateTokenDto) {
    const user = await this.users.findById(actor.principal.userId);
    if (!user) throw new NotFoundException();
    const abilities = dto.abilities ?? actor.principal.abilities;
    const excess = abilities.filter((a) => !actor.principal.abilities.includes(a));
    if (excess.length) {
      throw new UnprocessableEntityException({ statusCode: 422, message: `abilities: not granted to you: ${excess.join(', ')}`, field: 'abilities', fields: [{ field: 'abilities', message: `not granted to you: ${excess.join(', ')}` }] });
    }
    const { token, entity } = await this.tokens.issue(user, { name: dto.name, abilities, expiresAt: dto.expiresAt }, { action: 'token.created', by: auditBy(actor) });
    return { ...tokenView(entity), token };
  }

  @Get()
  @RequireAbility('tokens.manage')
  async list(@CurrentActor() actor: Actor) {
    return { data: (await this.tokens.listOwn(actor)).map(tokenView) };
  }

  @Delete(':tokenId')
  @HttpCode(204)
  @RequireAbility('tokens.manage')
  async revoke(@CurrentActor() actor: Actor, @Param('tokenId') tokenId: string) {
    await this.tokens.revokeOwn(actor, tokenId);
  }
}
