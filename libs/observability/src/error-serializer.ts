import pino from 'pino';

/** Properties of database errors that carry the statement's values (customer data): never logged. */
const VALUE_FIELDS = new Set(['parameters', 'sql', 'values']);
/** What a driver error may keep: its codes, never its statement. */
const DRIVER_FIELDS = ['code', 'errno', 'sqlState', 'type'];

/**
 * MySQL/MariaDB messages quote the offending value (`Duplicate entry 'erika@example.com' for key …`,
 * `Incorrect integer value: '…' for column …`, `Data truncated … value: '…'`): the value is replaced, the rest kept.
 */
export function redactSqlValues(text: string): string {
  return text.replace(/\b(entry|value:?|values?)\s+'(?:[^'\\]|\\.)*'/gi, "$1 '[redacted]'");
}

/**
 * pino's error serializer without the values of a failed statement: TypeORM's QueryFailedError carries `parameters`
 * and the driver's error with the formatted `sql`, and the message quotes offending values. A 500's log line keeps
 * the error type, codes, the parameterised query and a redacted message and stack.
 */
export function safeErrorSerializer(error: unknown): unknown {
  if (!error || typeof error !== 'object') return error;
  // Also `{ message }` objects built from a caught error: their message may quote a value just the same.
  return scrub(pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>);
}

function scrub(e: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(e)) {
    if (VALUE_FIELDS.has(key)) continue;
    if (key === 'driverError' && value && typeof value === 'object') {
      const driver = value as Record<string, unknown>;
      out.driverError = Object.fromEntries(DRIVER_FIELDS.filter((f) => driver[f] !== undefined).map((f) => [f, driver[f]]));
      continue;
    }
    if (typeof value === 'string' && (key === 'message' || key === 'stack' || key === 'sqlMessage')) out[key] = redactSqlValues(value);
    else if (key === 'cause' && value && typeof value === 'object') out.cause = scrub(value as Record<string, unknown>);
    else out[key] = value;
  }
  return out;
}
