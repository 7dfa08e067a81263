import { z } from 'zod';
import { appointmentViewSchema, type AppointmentView } from '@receptionist/contracts';

/**
 * Readers for the `data` of booking's replies (apps/booking/src/requests). Each reads what voice-agent needs
 * and ignores the rest, so booking can add fields without breaking the agent.
 */
const serviceSchema = z.object({
  serviceId: z.string(),
  key: z.string().default(''),
  name: z.string(),
  aliases: z.array(z.string()).default([]),
  durationMinutes: z.number().int().positive().default(30),
  staffIds: z.array(z.string()).default([]),
  /** A composite service's steps (who may do each); absent for an ordinary one. */
  steps: z.array(z.object({ serviceId: z.string(), name: z.string().default(''), staffIds: z.array(z.string()).default([]) })).optional(),
});
const staffSchema = z.object({
  staffId: z.string(),
  key: z.string().default(''),
  name: z.string(),
  serviceIds: z.array(z.string()).default([]),
});
const catalogueSchema = z.object({
  timeZone: z.string().optional(),
  language: z.string().optional(),
  services: z.array(serviceSchema).default([]),
  staff: z.array(staffSchema).default([]),
  policies: z.record(z.string(), z.unknown()).optional(),
  /** Weekday → [['09:00','17:00']] in the company's zone; settles "halb drei" (02:30 or 14:30). */
  openingHours: z.record(z.string(), z.array(z.tuple([z.string(), z.string()]))).optional(),
  /** Local dates (`YYYY-MM-DD`) the business is closed although its week says open: closures, public holidays. */
  closedDays: z.array(z.string()).optional(),
});
export type Catalogue = z.infer<typeof catalogueSchema>;
export type CatalogueService = Catalogue['services'][number];
export type CatalogueStaff = Catalogue['staff'][number];

export function readCatalogue(data: Record<string, unknown> | undefined): Catalogue | null {
  const parsed = catalogueSchema.safeParse(data?.catalogue ?? data);
  return parsed.success ? parsed.data : null;
}

const appointmentList = z.array(appointmentViewSchema.partial({ calcomBookingUid: true, rescheduledCount: true, staffId: true, staffName: true, endsAt: true }));
export type Appointment = z.infer<typeof appointmentList>[number];

export function readAppointments(data: Record<string, unknown> | undefined): Appointment[] {
  const raw = data?.appointments ?? (data?.customer as Record<string, unknown> | undefined)?.appointments ?? [];
  const parsed = appointmentList.safeParse(raw);
  return parsed.success ? parsed.data : [];
}

export function readAppointment(data: Record<string, unknown> | undefined): Appointment | null {
  const parsed = appointmentList.element.safeParse(data?.appointment ?? data);
  return parsed.success ? parsed.data : null;
}

const customerSchema = z.object({
  customerId: z.string().optional(),
  name: z.string().nullable().optional(),
  phone: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  language: z.string().nullable().optional(),
});
export type Customer = z.infer<typeof customerSchema>;

export function readCustomer(data: Record<string, unknown> | undefined): Customer | null {
  if (!data?.customer) return null;
  const parsed = customerSchema.safeParse(data.customer);
  return parsed.success ? parsed.data : null;
}

/** Free start times: `slots` (ISO strings or `{start}`), in order. */
export function readSlots(data: Record<string, unknown> | undefined): Date[] {
  const raw = (data?.slots ?? data?.starts ?? data?.times ?? []) as unknown[];
  if (!Array.isArray(raw)) return [];
  const out: Date[] = [];
  for (const s of raw) {
    const iso = typeof s === 'string' ? s : (s as { start?: unknown; startsAt?: unknown })?.start ?? (s as { startsAt?: unknown })?.startsAt;
    const d = typeof iso === 'string' ? new Date(iso) : null;
    if (d && !Number.isNaN(d.getTime())) out.push(d);
  }
  return out.sort((a, b) => a.getTime() - b.getTime());
}

/** On `slot_taken`: the alternatives booking offers (ISO instants). */
export function readAlternatives(data: Record<string, unknown> | undefined): Date[] {
  return readSlots({ slots: data?.alternatives ?? [] });
}

export type { AppointmentView };
