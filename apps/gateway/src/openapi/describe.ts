import { SetMetadata } from '@nestjs/common';
import type { z } from 'zod';

export const QUERY_SCHEMA = 'gateway:openapi-query';
export const HEADER_PARAMETERS = 'gateway:openapi-headers';

export interface HeaderParameter {
  name: string;
  required: boolean;
  description: string;
}

/**
 * The query schema a route validates with (`parseOrBadRequest(schema, query, 'query')`), for the API description:
 * its fields become the operation's query parameters. The handler still parses; this only describes.
 */
export const DescribeQuery = (schema: z.ZodType) => SetMetadata(QUERY_SCHEMA, schema);

/** Request headers a route reads (`Idempotency-Key`, `If-Match`), for the API description. */
export const DescribeHeaders = (...headers: HeaderParameter[]) => SetMetadata(HEADER_PARAMETERS, headers);
