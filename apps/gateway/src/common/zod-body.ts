import { BadRequestException, PipeTransform } from '@nestjs/common';
import type { z } from 'zod';

export interface FieldProblem {
  field: string;
  message: string;
}

/** Validates input at the edge; a failure is a 400 that names every bad field (never echoes the value). */
export function parseOrBadRequest<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const fields: FieldProblem[] = result.error.issues.flatMap((issue) =>
    // An unknown key is named as the field (a typo such as `perMinute` reads as what it is), cut to a sane length.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: [...issue.path.map(String), key.slice(0, 64)].join('.'), message: 'is not a known field' }))
      : [{ field: issue.path.length ? issue.path.map(String).join('.') : where, message: issue.message }],
  );
  throw new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: fields.map((f) => `${f.field}: ${f.message}`).join('; '),
    // the names again as a plain string: the gateway's exception filter keeps only primitive extra fields
    field: [...new Set(fields.map((f) => f.field))].join(','),
    fields,
  });
}

/** `@Body(new ZodBody(schema))`: the handler receives the parsed, typed value. */
export class ZodBody<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(readonly schema: S) {}
  transform(value: unknown): z.infer<S> {
    return parseOrBadRequest(this.schema, value);
  }
}

/** For ids in the path: anything that is not a uuid cannot name a record, so it is a 404 like any unknown id. */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isDuplicateKey(error: unknown): boolean {
  const e = error as { code?: string; errno?: number; driverError?: { errno?: number } };
  return e?.code === 'ER_DUP_ENTRY' || e?.errno === 1062 || e?.driverError?.errno === 1062;
}
