import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from '../auth/auth.guard';
import { CompaniesModule } from '../companies/companies.module';
import { AccessTokensService } from './access-tokens.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { PlatformAdminBootstrap } from './platform-admin.bootstrap';
import { PlatformAdmins } from './platform-admins';
import { RolesRepository } from './roles.repository';
import { TokenCache } from './token-cache';
import { TokensController } from './tokens.controller';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

/** Users, roles, personal access tokens, sign-in and the global AuthGuard. */
@Module({
  imports: [CompaniesModule],
  controllers: [AuthController, TokensController, UsersController],
  providers: [
    RolesRepository,
    UsersRepository,
    UsersService,
    AccessTokensService,
    TokenCache,
    AuthService,
    PlatformAdmins,
    PlatformAdminBootstrap,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AccessTokensService, TokenCache, UsersRepository, RolesRepository],
})
export class IdentityModule {}
