import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

/** A problem the API answered (RFC 9457 shape or the gateway's `{statusCode, error, message}`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Invalid fields named by the API (`field` or `message: "email: must be …"`), field → message. */
    readonly fields: Record<string, string>,
  ) {
    super(message);
  }
}

/** The API's own words for what went wrong, per field where it names one. */
export function problemOf(status: number, body: unknown): ApiError {
  const b = (body ?? {}) as { message?: unknown; detail?: unknown; field?: unknown; errors?: unknown; title?: unknown };
  const message = String(b.detail ?? b.message ?? b.title ?? `HTTP ${status}`);
  const fields: Record<string, string> = {};
  if (Array.isArray(b.errors)) {
    for (const e of b.errors as { field?: string; pointer?: string; detail?: string; message?: string }[]) {
      const name = e.field ?? e.pointer?.replace(/^#?\//, '').replace(/\//g, '.');
      if (name) fields[name] = String(e.detail ?? e.message ?? message);
    }
  }
  // "number: must be a phone number; to: must be after from"
  for (const part of message.split(/;\s*/)) {
    const m = /^(?:body\.|query\.)?([A-Za-z][\w.]*):\s*(.+)$/.exec(part);
    if (m && !fields[m[1]]) fields[m[1]] = m[2];
  }
  // `field: "start"` (or "a,b") with a message that does not name it
  if (typeof b.field === 'string') for (const name of b.field.split(',')) if (name && !fields[name]) fields[name] = message;
  return new ApiError(status, message, fields);
}

/**
 * A typed client for one of the two apps, generated from the gateway's OpenAPI document (./schema.d.ts):
 * sends the app's token and reports a 401 (expired or revoked session) so the app can ask to sign in again.
 */
export function apiClient(token: () => string | null, onUnauthorized: () => void) {
  const client = createClient<paths>({ baseUrl: '' });
  const auth: Middleware = {
    onRequest({ request }) {
      const t = token();
      if (t) request.headers.set('authorization', `Bearer ${t}`);
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401 && token()) onUnauthorized();
      return response;
    },
  };
  client.use(auth);
  return client;
}
export type Api = ReturnType<typeof apiClient>;

/**
 * The data of an openapi-fetch answer, or an ApiError. The document describes parameters and bodies sent, not
 * yet the bodies answered, so callers name the shape they read (console/views.ts).
 */
export async function data<T>(answer: Promise<{ data?: unknown; error?: unknown; response: Response }>): Promise<T> {
  const { data: body, error, response } = await answer;
  if (!response.ok) throw problemOf(response.status, error);
  return body as T;
}

