import { RateLimit } from '../rate-limit';
import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CurrentPrincipal, Principal, Public, requestMeta } from '../auth/principal';
import { ZodBody } from '../common/zod-body';
import { AuthService } from './auth.service';
import { loginSchema, LoginDto } from './dto';

@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** E-mail + password → a personal access token (shown once). Any failure is the same 401. */
  @Public()
  @Post('login')
  @RateLimit('sensitive')
  @HttpCode(200)
  login(@Body(new ZodBody(loginSchema)) dto: LoginDto, @Req() request: FastifyRequest) {
    return this.auth.login(dto.email, dto.password, requestMeta(request));
  }

  /** Who the presented token belongs to and what it may do. */
  @Get('me')
  me(@CurrentPrincipal() principal: Principal) {
    return principal;
  }
}
