import { Injectable } from '@nestjs/common';
import { fold } from '../dates';
import { BookingClient } from './booking.client';
import { Catalogue, CatalogueService, CatalogueStaff, readCatalogue } from './booking-data';

const TTL_MS = 60_000;

/**
 * The company's services and staff as booking knows them, kept in memory for a minute per company: every
 * voice function needs them and they change only on a new set-up (which drops the entry: CatalogueInvalidation).
 */
@Injectable()
export class CatalogueCache {
  private readonly entries = new Map<string, { at: number; value: Catalogue }>();

  constructor(private readonly booking: BookingClient) {}

  /** Null when booking has no set-up for the company; throws BookingUnavailableError when it cannot be asked. */
  async get(companyId: string, deadline: number): Promise<Catalogue | null> {
    const hit = this.entries.get(companyId);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.value;
    const reply = await this.booking.ask({ operation: 'catalogue.get', companyId, callId: null }, deadline);
    if (!reply.ok) return null;
    const value = readCatalogue(reply.data);
    if (value) this.entries.set(companyId, { at: Date.now(), value });
    return value;
  }

  forget(companyId: string): void {
    this.entries.delete(companyId);
  }
}

/** Levenshtein similarity in [0, 1]. */
function similarity(a: string, b: string): number {
  if (a === b) return 1;
  const m = a.length;
  const n = b.length;
  if (!m || !n) return 0;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return 1 - prev[n] / Math.max(m, n);
}

const norm = (s: string) => fold(s).replace(/[^a-z0-9]+/g, ' ').trim();

export type Match<T> = { kind: 'one'; item: T } | { kind: 'several'; items: T[] } | { kind: 'none' };

/**
 * Finds what the caller named among `items`: id, key, then name or alias (case- and accent-insensitive),
 * then containment, then close spelling (similarity ≥ 0.75).
 */
function match<T>(query: string, items: T[], id: (t: T) => string, key: (t: T) => string, names: (t: T) => string[]): Match<T> {
  const q = query.trim();
  if (!q) return { kind: 'none' };
  const byId = items.find((t) => id(t) === q || key(t) === q.toLowerCase());
  if (byId) return { kind: 'one', item: byId };
  const nq = norm(q);
  const exact = items.filter((t) => names(t).some((n) => norm(n) === nq));
  if (exact.length === 1) return { kind: 'one', item: exact[0] };
  if (exact.length > 1) return { kind: 'several', items: exact };
  const contains = items.filter((t) => names(t).some((n) => {
    const nn = norm(n);
    return nn.length >= 3 && nq.length >= 3 && (nn.includes(nq) || nq.includes(nn));
  }));
  if (contains.length === 1) return { kind: 'one', item: contains[0] };
  if (contains.length > 1) return { kind: 'several', items: contains };
  const scored = items
    .map((t) => ({ t, s: Math.max(...names(t).map((n) => similarity(norm(n), nq))) }))
    .filter((x) => x.s >= 0.75)
    .sort((a, b) => b.s - a.s);
  if (scored.length === 0) return { kind: 'none' };
  if (scored.length > 1 && scored[1].s === scored[0].s) return { kind: 'several', items: scored.filter((x) => x.s === scored[0].s).map((x) => x.t) };
  return { kind: 'one', item: scored[0].t };
}

export const matchService = (query: string, catalogue: Catalogue): Match<CatalogueService> =>
  match(query, catalogue.services, (s) => s.serviceId, (s) => s.key, (s) => [s.name, s.key, ...s.aliases]);

export const matchStaff = (query: string, catalogue: Catalogue): Match<CatalogueStaff> =>
  match(query, catalogue.staff, (s) => s.staffId, (s) => s.key, (s) => [s.name, s.key, ...s.name.split(/\s+/).filter((p) => p.length >= 3)]);
