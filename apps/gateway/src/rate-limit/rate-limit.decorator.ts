import { SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * - general: every /api/v1 route without its own category (per company, else per user, else per client IP)
 * - voice: Retell function calls (per company)
 * - booking: booking operations (per company)
 * - sensitive: login, token creation, invitations (per client IP and, where known, per account)
 * - portal: customer-portal API (per customer)
 * - portal_change: a portal customer cancelling or rescheduling (per customer; 10/min as in the system replaced)
 */
export type RateLimitCategory = 'general' | 'voice' | 'booking' | 'sensitive' | 'portal' | 'portal_change';
export const RATE_LIMIT_CATEGORIES: readonly RateLimitCategory[] = ['general', 'voice', 'booking', 'sensitive', 'portal', 'portal_change'];

export interface RateLimitOptions {
  /**
   * The account a request acts on, when the route knows it before authentication (e.g. the e-mail of a login
   * attempt). It is limited in addition to the default subject, so spreading attempts over many IPs does not help.
   * Defaults (sensitive only): the principal's user id, else a string `email` / `username` field of the body.
   */
  account?: (request: FastifyRequest) => string | null | undefined;
}

export interface RateLimitMetadata extends RateLimitOptions {
  category: RateLimitCategory;
}

export const RATE_LIMIT_METADATA = 'gateway:rate-limit';

/** Puts a route or a controller into a rate-limit category (method beats class). */
export const RateLimit = (category: RateLimitCategory, options: RateLimitOptions = {}) =>
  SetMetadata<string, RateLimitMetadata | false>(RATE_LIMIT_METADATA, { category, ...options });

/** Exempts a route or controller (e.g. probes) from the default `general` limit of /api/v1. */
export const SkipRateLimit = () => SetMetadata<string, RateLimitMetadata | false>(RATE_LIMIT_METADATA, false);
