import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { billingSetupSchema, bookingSetupSchema, notificationSetupSchema, SetupPart, Topics } from '@receptionist/contracts';
import type { ImportDocument } from './import-document';

export type BookingSetup = z.input<typeof bookingSetupSchema>;
export type BillingSetup = z.input<typeof billingSetupSchema>;
export type NotificationSetup = z.input<typeof notificationSetupSchema>;

/** JSON with object keys sorted at every level, so equal content always gives equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A part's revision: a stable hash of its content (the company id included, the revision itself not). */
export function revisionOf(part: Record<string, unknown>): string {
  const { revision: _ignored, ...content } = part;
  return createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 32);
}

export interface PartCommand {
  part: SetupPart;
  topic: string;
  revision: string;
  data: BookingSetup | BillingSetup | NotificationSetup;
}

/**
 * The three commands of a set-up, each with its revision. Branch ids are the gateway's (booking keys branch
 * hours by them); a branch without its own hours gets the company's.
 */
export function buildParts(companyId: string, doc: ImportDocument, branchIds: Map<string, string>): PartCommand[] {
  const booking: Omit<BookingSetup, 'revision'> = {
    companyId,
    timeZone: doc.company.timeZone,
    language: doc.company.language,
    calcomTeamSlug: doc.company.calcomTeamSlug,
    services: doc.services.map((s) => {
      // A composite service: the first step's event type and the steps' total length (validated: steps exist).
      const steps = s.steps?.map((st) => doc.services.find((x) => x.key === st.service)!);
      return {
        key: s.key,
        name: s.name,
        aliases: s.aliases,
        calcomEventTypeId: steps ? steps[0].calcomEventTypeId! : s.calcomEventTypeId!,
        durationMinutes: steps ? steps.reduce((sum, st) => sum + st.durationMinutes!, 0) : s.durationMinutes!,
        priceMinor: s.priceMinor,
        active: s.active,
        ...(s.steps ? { steps: s.steps.map((st) => ({ serviceKey: st.service, staffKeys: st.staff })) } : {}),
      };
    }),
    // Working hours, closures and holidays only when set, so the revisions of set-ups without them stay put.
    staff: doc.staff.map((s) => ({ key: s.key, name: s.name, calcomUserId: s.calcomUserId, serviceKeys: s.services, active: s.active, ...(s.workingHours ? { workingHours: s.workingHours } : {}) })),
    branches: doc.branches
      .filter((b) => b.active)
      .map((b) => ({ branchId: branchIds.get(b.key)!, key: b.key, openingHours: b.openingHours ?? doc.openingHours })),
    openingHours: doc.openingHours,
    ...(doc.closures?.length ? { closures: doc.closures } : {}),
    ...(doc.holidays ? { holidays: doc.holidays } : {}),
    policies: doc.policies,
  };
  const billing: Omit<BillingSetup, 'revision'> | null = doc.pricing ? { companyId, currency: doc.company.currency, pricing: doc.pricing } : null;
  const notification: Omit<NotificationSetup, 'revision'> = {
    companyId,
    companyName: doc.company.name,
    timeZone: doc.company.timeZone,
    language: doc.company.language,
    settings: doc.notifications,
  };
  // A company set up only through the API has no pricing yet: billing keeps whatever it has.
  const parts: [SetupPart, string, Record<string, unknown>][] = [
    ['booking', Topics.bookingSetup.name, booking],
    ...(billing ? [['billing', Topics.billingSetup.name, billing] as [SetupPart, string, Record<string, unknown>]] : []),
    ['notification', Topics.notificationSetup.name, notification],
  ];
  return parts.map(([part, topic, content]) => {
    const revision = revisionOf(content);
    return { part, topic, revision, data: { ...content, revision } as PartCommand['data'] };
  });
}
