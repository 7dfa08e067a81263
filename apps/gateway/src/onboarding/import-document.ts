import { z } from 'zod';
import yaml from 'js-yaml';
import { bookingSetupSchema, billingSetupSchema, channel, closureSchema, holidayRegionSchema, messageKinds, notificationSetupSchema, setupKey, weekdays } from '@receptionist/contracts';
import { CURRENCIES } from '../companies/entities';
import { normalisePhoneNumber, timeZone } from '../companies/dto';
import type { FieldProblem } from '../common/zod-body';

/**
 * The onboarding file (docs/onboarding.md): a company's whole set-up in one JSON or YAML document. Unknown
 * fields are refused (a typo must not be silently ignored); money is integer minor units of the company's
 * currency; times of day are `HH:MM` in the company's (or branch's) time zone.
 */

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h), quoted in YAML');
const interval = z.tuple([hhmm, hhmm]).refine(([from, to]) => from < to, 'opening must be before closing');
const day = z.array(interval).refine((ranges) => {
  const sorted = [...ranges].sort((a, b) => a[0].localeCompare(b[0]));
  return sorted.every((r, i) => i === 0 || sorted[i - 1][1] <= r[0]);
}, 'intervals must not overlap');
/** `{ mon: [["09:00", "18:00"]], sat: [["09:00", "13:00"]] }`; a day left out is closed. */
export const openingHours = z.strictObject(Object.fromEntries(weekdays.map((d) => [d, day.optional()])) as Record<(typeof weekdays)[number], z.ZodOptional<typeof day>>);

const name = z.string().trim().min(1).max(200);
export const language = z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'must be a language code such as de or en-GB');
export const phone = z.string().transform((v, ctx) => {
  const n = normalisePhoneNumber(v);
  if (!n) {
    ctx.addIssue({ code: 'custom', message: 'must be a phone number in E.164 form such as +4930123456' });
    return z.NEVER;
  }
  return n;
});
const minor = z.number().int('must be a whole number of minor units (cents)').min(0);

const alertContact = z
  .strictObject({
    name: name.nullable().default(null),
    phone: phone.nullable().default(null),
    email: z.email('must be an e-mail address').max(320).nullable().default(null),
  })
  .refine((c) => c.phone !== null || c.email !== null, { message: 'needs a phone or an email', path: ['phone'] });

/** One service of the set-up (also the body of `PUT …/services/:serviceKey`). */
export const serviceSchema = z.strictObject({
  key: setupKey,
  name,
  /** Other words callers use for it ("Herrenschnitt", "men's cut"); the voice agent matches them. */
  aliases: z.array(z.string().trim().min(1).max(200)).max(50).default([]),
  /** Required unless the service has `steps` (then the first step's is used). */
  calcomEventTypeId: z.number().int('must be a whole number').positive().optional(),
  /** Required unless the service has `steps` (then the sum of the steps'). */
  durationMinutes: z.number().int().min(5).max(24 * 60).optional(),
  priceMinor: minor.nullable().default(null),
  active: z.boolean().default(true),
  /** A composite service: other services of this file, one after the other, booked as one appointment. */
  steps: z
    .array(z.strictObject({ service: setupKey, staff: z.array(setupKey).max(50).default([]) }))
    .min(2, 'a composite service needs at least two steps')
    .max(10)
    .optional(),
});

/** One staff member (also the body of `PUT …/staff/:staffKey`). */
export const staffSchema = z.strictObject({
  key: setupKey,
  name,
  calcomUserId: z.number().int().positive().nullable().default(null),
  /** Keys of the services this person performs. */
  services: z.array(setupKey).default([]),
  active: z.boolean().default(true),
  /** When this person works; left out: whenever the business is open. */
  workingHours: openingHours.optional(),
});

/** Closed days although the weekly hours say open; `from`..`to` inclusive. */
export const closure = z
  .strictObject({ ...closureSchema.shape, reason: z.string().trim().max(200).nullable().default(null) })
  .refine((c) => c.from <= c.to, { message: 'must not be after to', path: ['from'] });

/** What the voice agent says and does (greeting per language, languages it speaks, hand-off to a human). */
export const agentSettingsSchema = z.strictObject({
  /** Greeting per language (`{ de: "Praxis Sonnenschein, guten Tag!" }`); missing: the built-in one. */
  greeting: z.record(language, z.string().trim().min(1).max(500)).refine((g) => Object.keys(g).length <= 20, 'at most 20 languages').default({}),
  /** Languages the agent speaks, the first the default. */
  languages: z.array(language).min(1).max(20).default(['de']),
  /** A human to hand the caller to, and when (company time zone); null: no hand-off. */
  transfer: z
    .strictObject({ number: phone, hours: openingHours.default({}) })
    .nullable()
    .default(null),
});

const template = z.strictObject({ kind: z.enum(messageKinds), language, body: z.string().trim().min(1).max(1600) });

const policies = bookingSetupSchema.shape.policies;
const pricing = billingSetupSchema.shape.pricing;
const notifications = notificationSetupSchema.shape.settings;

/** Channels, reminders, quiet hours, sender, alert contacts and own message texts (also `PUT …/notification-settings`). */
export const notificationSettingsSchema = z.strictObject({
  ...notifications.shape,
  channels: z.array(channel).min(1).default(['sms']),
  senderId: z.string().trim().min(1).max(32).nullable().default(null),
  /** Admins alerted on a low balance or failing messages; left out (not `[]`) when absent, so revisions stay put. */
  alertContacts: z.array(alertContact).max(20).optional(),
  /** The company's own message texts (`{{customer_name}}`, `{{service_name}}`, `{{date}}`, `{{time}}`, `{{company_name}}`). */
  templates: z.array(template).max(200).optional(),
});

/** Booking rules (also `PUT …/booking-policies`). */
export const policiesSchema = z.strictObject(policies.shape);

/** A company's whole set-up as the gateway keeps it (`company_setup_document`); the file format adds two musts. */
export const setupDocumentSchema = z
  .strictObject({
    /** Format version of this document; only 1 exists. */
    version: z.literal(1).default(1),
    company: z.strictObject({
      key: setupKey.optional(),
      name,
      timeZone,
      language,
      currency: z.enum(CURRENCIES),
      calcomTeamSlug: z.string().trim().min(1).max(100).nullable().default(null),
      settings: z.record(z.string(), z.unknown()).refine((s) => JSON.stringify(s).length <= 20000, 'is too large (max 20000 characters)').default({}),
    }),
    branches: z
      .array(
        z.strictObject({
          key: setupKey,
          name,
          address: z.string().trim().max(500).nullable().default(null),
          timeZone: timeZone.nullable().default(null),
          /** Omitted: the company's opening hours. */
          openingHours: openingHours.optional(),
          active: z.boolean().default(true),
        }),
      )
      .max(100)
      .default([]),
    phoneNumbers: z
      .array(z.strictObject({ number: phone, branch: setupKey.nullable().default(null), label: z.string().trim().max(200).nullable().default(null) }))
      .max(100)
      .default([]),
    retellAgents: z
      .array(
        z.strictObject({
          agentId: z.string().trim().regex(/^[A-Za-z0-9_-]{3,100}$/, 'must be a Retell agent id (letters, digits, _ and -)'),
          branch: setupKey.nullable().default(null),
          label: z.string().trim().max(200).nullable().default(null),
        }),
      )
      .max(100)
      .default([]),
    services: z.array(serviceSchema).max(500),
    staff: z.array(staffSchema).max(500).default([]),
    openingHours,
    /** Left out (not `[]`) when none, so revisions of files without them stay put. */
    closures: z.array(closure).max(500).optional(),
    holidays: holidayRegionSchema.strict().nullable().optional(),
    policies: policiesSchema.default(policies.parse({})),
    /** Required in an imported file; a company set up only through the API has none until one is imported. */
    pricing: z.strictObject({ ...pricing.shape, perMinuteMinor: minor, perBookingMinor: minor.default(0), lowBalanceThresholdMinor: minor.default(1000), topUpMinor: minor.default(5000) }).optional(),
    agent: agentSettingsSchema.optional(),
    notifications: notificationSettingsSchema
      .default(notifications.parse({ senderId: null })),
  })
  .superRefine((doc, ctx) => {
    const unique = <T>(items: T[], field: string, prop: keyof T & string, what: string) => {
      const seen = new Set<unknown>();
      items.forEach((item, i) => {
        const value = item[prop];
        if (seen.has(value)) ctx.addIssue({ code: 'custom', path: [field, i, prop], message: `duplicate ${what}` });
        seen.add(value);
      });
    };
    unique(doc.branches, 'branches', 'key', 'key');
    (doc.notifications.templates ?? []).forEach((t, i, all) => {
      if (all.findIndex((o) => o.kind === t.kind && o.language === t.language) !== i) ctx.addIssue({ code: 'custom', path: ['notifications', 'templates', i, 'language'], message: `duplicate template for ${t.kind} in ${t.language}` });
    });
    unique(doc.services, 'services', 'key', 'key');
    // Composite services book their steps' event types; the others may not share one.
    const ownEventTypes = doc.services.map((sv) => (sv.steps ? { calcomEventTypeId: Symbol('composite') } : sv));
    unique(ownEventTypes, 'services', 'calcomEventTypeId', 'event type: another service already uses it');
    unique(doc.staff, 'staff', 'key', 'key');
    unique(doc.phoneNumbers, 'phoneNumbers', 'number', 'number');
    unique(doc.retellAgents, 'retellAgents', 'agentId', 'agent id');
    const branches = new Set(doc.branches.map((b) => b.key));
    const services = new Set(doc.services.map((s) => s.key));
    for (const field of ['phoneNumbers', 'retellAgents'] as const) {
      doc[field].forEach((item, i) => {
        if (item.branch !== null && !branches.has(item.branch)) ctx.addIssue({ code: 'custom', path: [field, i, 'branch'], message: `no branch with key '${item.branch}' in this file` });
      });
    }
    doc.staff.forEach((s, i) =>
      s.services.forEach((k, j) => {
        if (!services.has(k)) ctx.addIssue({ code: 'custom', path: ['staff', i, 'services', j], message: `no service with key '${k}' in this file` });
      }),
    );
    const staffKeys = new Set(doc.staff.map((s) => s.key));
    const byKey = new Map(doc.services.map((sv) => [sv.key, sv]));
    doc.services.forEach((sv, i) => {
      if (!sv.steps) {
        for (const field of ['calcomEventTypeId', 'durationMinutes'] as const) {
          if (sv[field] === undefined) ctx.addIssue({ code: 'custom', path: ['services', i, field], message: 'is required (unless the service has steps)' });
        }
        return;
      }
      if (sv.calcomEventTypeId !== undefined) ctx.addIssue({ code: 'custom', path: ['services', i, 'calcomEventTypeId'], message: 'must be left out for a service with steps (each step books its own)' });
      sv.steps.forEach((step, j) => {
        const target = byKey.get(step.service);
        if (!target) ctx.addIssue({ code: 'custom', path: ['services', i, 'steps', j, 'service'], message: `no service with key '${step.service}' in this file` });
        else if (target.steps) ctx.addIssue({ code: 'custom', path: ['services', i, 'steps', j, 'service'], message: `'${step.service}' has steps itself` });
        step.staff.forEach((k, n) => {
          if (!staffKeys.has(k)) ctx.addIssue({ code: 'custom', path: ['services', i, 'steps', j, 'staff', n], message: `no staff member with key '${k}' in this file` });
        });
      });
    });
  });

/** The onboarding file: a set-up document with at least one service and the pricing. */
export const importDocumentSchema = setupDocumentSchema.superRefine((doc, ctx) => {
  if (doc.services.length === 0) ctx.addIssue({ code: 'custom', path: ['services'], message: 'at least one service is needed' });
  if (!doc.pricing) ctx.addIssue({ code: 'custom', path: ['pricing'], message: 'is required' });
});

export type ImportDocument = z.output<typeof setupDocumentSchema>;
export type ServiceDoc = z.output<typeof serviceSchema>;
export type StaffDoc = z.output<typeof staffSchema>;

/** `['services', 2, 'calcomEventTypeId']` → `services[2].calcomEventTypeId`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || 'document';
}

export class ImportDocumentError extends Error {
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  }
}

export type DocumentFormat = 'json' | 'yaml';

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/** The format named by a Content-Type (`application/json`, `application/yaml`, …), or null. */
export function formatOfContentType(contentType: string | undefined): DocumentFormat | null {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (YAML_TYPES.includes(type)) return 'yaml';
  return null;
}

export const YAML_CONTENT_TYPES = YAML_TYPES;

/** The format named by a file name's extension (`.yaml`, `.yml`, `.json`), or null. */
export function formatOfFileName(file: string): DocumentFormat | null {
  if (/\.ya?ml$/i.test(file)) return 'yaml';
  if (/\.json$/i.test(file)) return 'json';
  return null;
}

const MAX_NODES = 50_000;

/**
 * Walks what the YAML parser built and refuses documents that expand too far: YAML aliases share nodes, so a
 * small file ("billion laughs") can stand for an enormous tree that JSON.stringify or zod would walk forever.
 */
function checkSize(value: unknown): void {
  let nodes = 0;
  const walk = (v: unknown, depth: number) => {
    if (++nodes > MAX_NODES) throw new ImportDocumentError([{ field: 'document', message: `is too large (more than ${MAX_NODES} values once aliases are expanded)` }]);
    if (depth > 20) throw new ImportDocumentError([{ field: 'document', message: 'is nested too deeply' }]);
    if (Array.isArray(v)) v.forEach((x) => walk(x, depth + 1));
    else if (v !== null && typeof v === 'object') Object.values(v).forEach((x) => walk(x, depth + 1));
  };
  walk(value, 0);
}

/** YAML text → plain data (core schema: no dates or custom tags; duplicate keys are an error). */
export function parseYaml(text: string): unknown {
  let value: unknown;
  try {
    value = yaml.load(text, { schema: yaml.CORE_SCHEMA, json: false });
  } catch (error) {
    const e = error as { reason?: string; mark?: { line: number; column: number } };
    const where = e.mark ? ` (line ${e.mark.line + 1}, column ${e.mark.column + 1})` : '';
    throw new ImportDocumentError([{ field: 'document', message: `is not valid YAML: ${e.reason ?? 'syntax error'}${where}` }]);
  }
  checkSize(value);
  return value;
}

/** Validates parsed data; every problem names its field as `services[2].calcomEventTypeId`. */
export function validateImportDocument(value: unknown, schema: z.ZodType<ImportDocument, unknown> = importDocumentSchema): ImportDocument {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ImportDocumentError([{ field: 'document', message: 'must be an object with company, services, openingHours, pricing, …' }]);
  }
  checkSize(value);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ImportDocumentError(
    result.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((k) => ({ field: fieldPath([...issue.path, k]), message: 'is not a field of this format (see docs/onboarding.md)' }))
        : [{ field: fieldPath(issue.path), message: issue.message }],
    ),
  );
}
