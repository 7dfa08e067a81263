import type { HeaderParameter } from '../openapi/describe';
import type { ImportDocument } from '../onboarding/import-document';
import { etagOf } from './setup-edit.service';
import type { SetupListQuery } from './dto';

export const IF_MATCH: HeaderParameter = {
  name: 'If-Match',
  required: true,
  description: 'The ETag of your last GET of this resource: 428 without it, 409 when the resource changed since',
};

/** One page of a set-up list in document order; `next` is the key of the last entry (null on the last page). */
export function page<T extends { key: string }>(items: T[], q: SetupListQuery, key: (t: T) => string) {
  const start = q.cursor ? items.findIndex((x) => key(x) === q.cursor) + 1 : 0;
  const data = items.slice(start, start + q.limit).map((x) => ({ ...x, etag: etagOf(x) }));
  const more = start + q.limit < items.length;
  return { data, next: more && data.length ? key(data[data.length - 1]) : null };
}

/**
 * A problem with the edited entry, found by validating the whole document (`services[3].steps[0].service`), is
 * named as a field of the request (`steps[0].service`); problems elsewhere keep their document path.
 */
export function relocate(kind: 'services' | 'staff', index: (doc: ImportDocument) => number) {
  return (field: string, doc: ImportDocument) => {
    const prefix = `${kind}[${index(doc)}]`;
    if (field.startsWith(`${prefix}.`)) return field.slice(prefix.length + 1);
    return field === prefix ? 'body' : field;
  };
}
