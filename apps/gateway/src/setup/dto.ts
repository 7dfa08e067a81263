import { z } from 'zod';
import { closure, language, openingHours, serviceSchema, staffSchema } from '../onboarding/import-document';
import { holidayRegionSchema, messageKinds, setupKey } from '@receptionist/contracts';

/** `PUT …/services/:serviceKey`: the whole service but its key (the path names it). */
export const putServiceSchema = serviceSchema.omit({ key: true });
export const putStaffSchema = staffSchema.omit({ key: true });

/** `PUT …/opening-hours`: the week, closed days, and the German state whose public holidays close the business. */
export const openingHoursBodySchema = z.strictObject({
  weekly: openingHours,
  closures: z.array(closure).max(500).default([]),
  /** `{ country: "DE", state: "BY" }`; null: public holidays are ordinary days. */
  holidays: holidayRegionSchema.strict().nullable().default(null),
});
export type OpeningHoursBody = z.output<typeof openingHoursBodySchema>;

/** `POST …/notification-settings/preview`: a message as a customer would read it, with sample data. */
export const previewSchema = z.strictObject({
  kind: z.enum(messageKinds),
  language,
  /** A draft text to try; left out: the company's own template for kind and language, else the built-in one. */
  body: z.string().trim().min(1).max(1600).optional(),
});
export type PreviewBody = z.output<typeof previewSchema>;

/** Lists of the set-up page like every list: `limit` (1–100, default 25) and `cursor` = the previous page's `next`. */
export const setupListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(100).optional(),
});
export type SetupListQuery = z.output<typeof setupListQuery>;

export const isSetupKey = (value: string) => setupKey.safeParse(value).success;
