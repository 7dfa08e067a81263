import { countryOf, toE164 } from '@receptionist/contracts';

/**
 * Validation of what a caller gives for a booking, one field at a time. A bad value is reported with a
 * machine code and never stored.
 */
export type FieldResult<T> = { ok: true; value: T } | { ok: false; code: 'empty_name' | 'staff_name' | 'invalid_phone' | 'invalid_email' };

/** Names agents fill in when the caller gave none (seed-behaviour §4, book_appointment name rules). */
const PLACEHOLDER_NAMES = new Set([
  'unbekannt', 'anonym', 'anonymous', 'unknown', 'gast', 'guest', 'kunde', 'kundin', 'customer', 'caller', 'anrufer',
  'anruferin', 'name', 'kein name', 'no name', 'test', 'n/a', 'na', 'none', 'null', 'undefined', 'nicht angegeben',
  'not provided', 'herr', 'frau', 'mr', 'mrs', 'ms',
]);

/** Answers, not names: "ja" landing in `name` when the agent asked "Auf welchen Namen?". */
const NOT_NAMES = new Set([
  'ja', 'nein', 'yes', 'no', 'genau', 'okay', 'ok', 'gerne', 'gern', 'bitte', 'danke', 'richtig', 'korrekt', 'passt', 'stimmt',
  'sure', 'right', 'correct', 'thanks', 'please', 'ich', 'mir', 'mich', 'me', 'myself', 'selbst', 'egal', 'keine ahnung',
]);
/** "bei Mario", "zu Anna", "with Ben": a wish for a staff member, not the caller's name. */
const STAFF_WISH = /^(bei|beim|zu|zum|zur|mit|with|by|to)\s/;

/**
 * The caller's own name, or why not. `staffNames`: the company's staff — a name equal to one of them (or to
 * their first name) is the staff member the caller wants, not the caller.
 */
export function validateName(raw: string | undefined, staffNames: string[] = []): FieldResult<string> {
  const name = (raw ?? '').replace(/\s+/g, ' ').trim();
  const folded = name.toLowerCase().replace(/[.!?]+$/, '');
  if (STAFF_WISH.test(folded) || NOT_NAMES.has(folded.replace(/[,!]/g, '').trim())) return { ok: false, code: 'empty_name' };
  const staffWords = staffNames.flatMap((n) => [n.toLowerCase(), n.toLowerCase().split(' ')[0]]);
  if (staffWords.includes(folded)) return { ok: false, code: 'staff_name' };
  // A time or a number is not a name ("14 Uhr" landing in `name`); nor is a placeholder or a single letter.
  if (name.length < 2 || name.length > 200 || PLACEHOLDER_NAMES.has(folded) || /\d/.test(name) || !/\p{L}.*\p{L}/u.test(name)) {
    return { ok: false, code: 'empty_name' };
  }
  return { ok: true, value: name };
}

/** Country for national numbers: the company's own line, else the country of its time zone. */
const ZONE_COUNTRY: Record<string, string> = {
  'Europe/Berlin': 'DE', 'Europe/Busingen': 'DE', 'Europe/Vienna': 'AT', 'Europe/Zurich': 'CH', 'Europe/London': 'GB',
  'Europe/Amsterdam': 'NL', 'Europe/Brussels': 'BE', 'Europe/Luxembourg': 'LU', 'Europe/Paris': 'FR', 'Europe/Madrid': 'ES',
  'Europe/Rome': 'IT', 'Europe/Warsaw': 'PL', 'Europe/Prague': 'CZ', 'Europe/Copenhagen': 'DK', 'Europe/Dublin': 'IE',
  'America/New_York': 'US', 'America/Chicago': 'US', 'America/Denver': 'US', 'America/Los_Angeles': 'US',
};

export function companyCountry(company: { timeZone: string }, companyNumber?: string | null): string | undefined {
  return countryOf(companyNumber ?? null) ?? ZONE_COUNTRY[company.timeZone];
}

/** `+49 30 1234567`, `030 1234567` (in a German company), `0049…` → E.164. */
export function normalisePhone(raw: string | undefined, country: string | undefined): FieldResult<string> {
  // Speech-to-text writes "plus 49 …" and separates digit groups with words.
  const spoken = (raw ?? '').toLowerCase().replace(/\bplus\b/g, '+').replace(/[^\d+]/g, (c) => (/[\s()./-]/.test(c) ? c : ''));
  const e164 = toE164(spoken, { country });
  return e164 ? { ok: true, value: e164 } : { ok: false, code: 'invalid_phone' };
}

const EMAIL = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.[a-z]{2,}$/i;

export function validateEmail(raw: string | undefined): FieldResult<string> {
  const email = (raw ?? '').trim().replace(/\s+/g, '').toLowerCase();
  return email.length <= 254 && EMAIL.test(email) ? { ok: true, value: email } : { ok: false, code: 'invalid_email' };
}

/** What a booking needs, in the order the agent should ask for it. */
export const REQUIRED_FIELDS = ['service', 'date', 'time', 'name', 'phone'] as const;
export type RequiredField = (typeof REQUIRED_FIELDS)[number];

export interface DraftState {
  serviceId: string | null;
  wishDate: string | null;
  wishTime: string | null;
  customerName: string | null;
  phone: string | null;
}

export function missingFields(draft: DraftState): RequiredField[] {
  const have: Record<RequiredField, boolean> = {
    service: !!draft.serviceId,
    date: !!draft.wishDate,
    time: !!draft.wishTime,
    name: !!draft.customerName,
    phone: !!draft.phone,
  };
  return REQUIRED_FIELDS.filter((f) => !have[f]);
}
