import { z } from 'zod';
import { channel, currency, e164, isoInstant, language, minorUnits } from './common';
import { messageKinds } from './message-templates';

/**
 * Onboarding: the gateway imports a company's whole set-up from one file and sends each owner its part as a
 * command keyed by company id. `revision` is a hash of the part: an owner that already applied it changes
 * nothing, and answers every command with `company.setup.applied` so the import can report what landed.
 */
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)');
export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const openingHoursSchema = z.partialRecord(z.enum(weekdays), z.array(z.tuple([hhmm, hhmm])));
/** A closed stretch of local days (`from`..`to` inclusive, `YYYY-MM-DD`): holidays of the business, renovation. */
const isoDay = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'must be a date YYYY-MM-DD');
export const closureSchema = z.object({ from: isoDay, to: isoDay, reason: z.string().max(200).nullable().default(null) });
/** German states (ISO 3166-2 subdivision codes without `DE-`), for public holidays (npm `date-holidays`). */
export const germanStates = ['BW', 'BY', 'BE', 'BB', 'HB', 'HH', 'HE', 'MV', 'NI', 'NW', 'RP', 'SL', 'SN', 'ST', 'SH', 'TH'] as const;
export const holidayRegionSchema = z.object({ country: z.literal('DE'), state: z.enum(germanStates) });

/** Stable key chosen by the business (`haircut-women`), unique per company; the import matches by it. */
export const setupKey = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be lower-case letters, digits, . _ - (max 64)');

export const bookingSetupSchema = z.object({
  companyId: z.string().min(1),
  revision: z.string().min(1),
  timeZone: z.string().min(1),
  language,
  calcomTeamSlug: z.string().nullable(),
  services: z.array(
    z.object({
      key: setupKey,
      name: z.string().min(1).max(200),
      /** Other names callers use ("Herrenschnitt", "men's cut"); matched case- and accent-insensitively. */
      aliases: z.array(z.string().min(1)).default([]),
      calcomEventTypeId: z.number().int().positive(),
      durationMinutes: z.number().int().min(5).max(24 * 60),
      priceMinor: minorUnits.nullable(),
      active: z.boolean().default(true),
      /** This service's own rules where they differ from the company's (e.g. longer notice for a colouring). */
      policies: z.lazy(() => servicePoliciesSchema).optional(),
      /**
       * A composite service: other services of the document done one after the other as one appointment, each by
       * one of `staffKeys` (empty: whoever performs that service). Its event type and duration are the first
       * step's and the sum of the steps'.
       */
      steps: z.array(z.object({ serviceKey: setupKey, staffKeys: z.array(setupKey).default([]) })).min(2).optional(),
    }),
  ),
  staff: z.array(
    z.object({
      key: setupKey,
      name: z.string().min(1).max(200),
      calcomUserId: z.number().int().positive().nullable(),
      serviceKeys: z.array(setupKey).default([]),
      active: z.boolean().default(true),
      /** When this person works (inside the opening hours); absent: whenever the business is open. */
      workingHours: openingHoursSchema.optional(),
    }),
  ),
  branches: z.array(z.object({ branchId: z.string().min(1), key: setupKey, openingHours: openingHoursSchema })).default([]),
  openingHours: openingHoursSchema,
  /** Days the business is closed although its weekly hours say open (absent: none). */
  closures: z.array(closureSchema).optional(),
  /** Public holidays of this region close the business (absent: holidays are ordinary days). */
  holidays: holidayRegionSchema.nullable().optional(),
  policies: z.object({
    /** A booking must start at least this far ahead. */
    minNoticeMinutes: z.number().int().min(0).default(15),
    /** Cancelling or moving closer to the start than this is refused on the phone. */
    cancellationNoticeHours: z.number().int().min(0).default(24),
    maxReschedules: z.number().int().min(0).default(2),
    /** How far ahead callers may book. */
    bookingHorizonDays: z.number().int().min(1).max(365).default(60),
    /** Moving closer to the start than this is refused; null = the cancellation notice. */
    rescheduleNoticeHours: z.number().int().min(0).nullable().optional(),
  }),
});

/** Per-service overrides of the company's booking policies (any subset). */
export const servicePoliciesSchema = z.object({
  minNoticeMinutes: z.number().int().min(0),
  cancellationNoticeHours: z.number().int().min(0),
  rescheduleNoticeHours: z.number().int().min(0),
  maxReschedules: z.number().int().min(0),
  bookingHorizonDays: z.number().int().min(1).max(365),
}).partial();

export const billingSetupSchema = z.object({
  companyId: z.string().min(1),
  revision: z.string().min(1),
  currency,
  pricing: z.object({
    /** Talk-time price per minute, billed by the second (rounded up to a whole minor unit per call). */
    perMinuteMinor: minorUnits.min(0),
    /** Flat fee per completed booking (0 = none). */
    perBookingMinor: minorUnits.min(0).default(0),
    /** Balance under which `balance.low` is published. */
    lowBalanceThresholdMinor: minorUnits.min(0).default(1000),
    /** Top-up amount suggested to the business (and used by auto top-up when enabled). */
    topUpMinor: minorUnits.min(0).default(5000),
    autoTopUp: z.boolean().default(false),
    /**
     * The partner (reseller) company that manages this one: its usage is invoiced to the partner on the partner's
     * monthly aggregate invoice, not to this company. Null: the company is invoiced itself.
     */
    partnerCompanyId: z.string().min(1).max(64).nullable().default(null),
  }),
});

/** Someone at the company who gets operational alerts; at least a phone or an e-mail address. */
export const alertContactSchema = z
  .object({
    name: z.string().min(1).max(200).nullable().default(null),
    phone: e164.nullable().default(null),
    email: z.email().max(320).nullable().default(null),
  })
  .refine((c) => c.phone !== null || c.email !== null, 'needs a phone or an email');

export const notificationSetupSchema = z.object({
  companyId: z.string().min(1),
  revision: z.string().min(1),
  companyName: z.string().min(1),
  timeZone: z.string().min(1),
  language,
  settings: z.object({
    /** Channels in order of preference; the first one the customer can receive wins. */
    channels: z.array(channel).min(1).default(['sms']),
    confirmation: z.boolean().default(true),
    /** Reminders, in minutes before the start (1440 = a day before). */
    remindersMinutesBefore: z.array(z.number().int().min(5).max(60 * 24 * 14)).default([1440]),
    /** Sender shown to customers (Twilio alphanumeric sender or WhatsApp number). */
    senderId: z.string().min(1).max(32).nullable(),
    /** Quiet hours in the company's time zone: nothing but confirmations is sent between them. */
    quietHours: z.tuple([hhmm, hhmm]).nullable().default(null),
    /**
     * The company's admins to alert (low balance, repeated delivery failures, dead-lettered messages) by SMS and/or
     * e-mail. Optional and left out when empty, so set-ups without it keep their revision.
     */
    alertContacts: z.array(alertContactSchema).max(20).optional(),
    /** The company's own message texts per kind and language (absent: the built-in ones); see message-templates. */
    templates: z.array(z.object({ kind: z.enum(messageKinds), language, body: z.string().min(1).max(1600) })).max(200).optional(),
  }),
});

export const setupParts = ['booking', 'billing', 'notification'] as const;
export type SetupPart = (typeof setupParts)[number];

export const setupAppliedSchema = z.object({
  companyId: z.string().min(1),
  part: z.enum(setupParts),
  revision: z.string().min(1),
  /** `unchanged`: the owner already had this revision. */
  outcome: z.enum(['applied', 'unchanged']),
  appliedAt: isoInstant,
});

/** Keep the phone type in one place for setup documents too. */
export const setupPhone = e164;
