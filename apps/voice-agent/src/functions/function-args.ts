/**
 * One shape for the arguments of every voice function, whatever names the agent uses (German `datum`,
 * `uhrzeit`, `dienstleistung`, … and the English aliases; seed-behaviour §4). Values are trimmed strings;
 * unfilled template variables and "null"/"undefined" count as absent.
 */
export interface FunctionArgs {
  date?: string;
  time?: string;
  datetime?: string;
  service?: string;
  name?: string;
  email?: string;
  phone?: string;
  staff?: string;
  /** true/false when the agent said so, null when the value was not understood, undefined when absent. */
  confirm?: boolean | null;
  notes?: string;
  appointmentId?: string;
  newDate?: string;
  newTime?: string;
  oldDate?: string;
  reason?: string;
  language?: string;
  /** A branch named by the caller ("die Filiale in Mitte"). */
  branch?: string;
}

type Field = keyof FunctionArgs;
const ALIASES: Record<Field, string[]> = {
  date: ['datum', 'date', 'appointment_date', 'date_string', 'preferred_date', 'tag', 'wunschdatum', 'day'],
  time: ['uhrzeit', 'time', 'appointment_time', 'preferred_time', 'zeit', 'zeitraum', 'wunschzeit', 'time_preference'],
  datetime: ['datetime', 'date_time', 'appointment_datetime', 'start', 'start_time', 'termin', 'when', 'zeitangabe'],
  service: ['dienstleistung', 'service', 'service_name', 'service_id', 'leistung', 'service_type', 'behandlung'],
  name: ['name', 'customer_name', 'kundenname', 'full_name', 'caller_name', 'vorname_nachname'],
  email: ['email', 'customer_email', 'e_mail', 'mail', 'email_address'],
  phone: ['telefon', 'phone', 'customer_phone', 'phone_number', 'telefonnummer', 'callback_number', 'rueckrufnummer', 'ruckrufnummer'],
  staff: ['mitarbeiter', 'staff', 'preferred_staff_id', 'staff_id', 'staff_name', 'mitarbeiterin', 'employee'],
  confirm: ['bestaetigung', 'bestatigung', 'confirm', 'confirm_booking', 'confirmed', 'confirm_reschedule', 'confirmation'],
  notes: ['notes', 'notizen', 'notiz', 'anmerkungen', 'anmerkung', 'bemerkung', 'comment', 'comments'],
  appointmentId: ['termin_id', 'appointment_id', 'booking_id', 'terminid'],
  newDate: ['new_date', 'new_datum', 'neues_datum', 'neuer_tag'],
  newTime: ['new_time', 'new_uhrzeit', 'neue_uhrzeit', 'neue_zeit'],
  oldDate: ['old_date', 'old_datum', 'altes_datum', 'original_date', 'current_appointment_date'],
  reason: ['reason', 'grund', 'cancellation_reason', 'storno_grund'],
  language: ['language', 'sprache', 'lang'],
  branch: ['filiale', 'branch', 'standort', 'location', 'branch_name', 'filial_name'],
};
const FIELD_OF = new Map<string, Field>();
for (const [field, names] of Object.entries(ALIASES) as [Field, string[]][]) for (const n of names) FIELD_OF.set(n, field);

const key = (k: string) =>
  k
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');

const ABSENT = /^(null|undefined|none|nil|n\/a|-|unknown_value)$/i;
/** `{{customer_name}}` left unfilled by the agent; date placeholders are read by the date parser instead. */
const UNFILLED = /^\{\{\s*(?!current_date|heute_datum|today)[^}]*\}\}$/i;

function text(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const t = value.trim().replace(/\s+/g, ' ');
  if (!t || ABSENT.test(t) || UNFILLED.test(t)) return undefined;
  return t.slice(0, 500);
}

const YES = /^(true|ja|yes|y|j|1|ok|okay|bestatigt|bestaetigt|confirmed|korrekt|richtig|genau|passt|gerne)$/;
const NO = /^(false|nein|no|n|0|abgelehnt|nicht)$/;

/** Boolean-ish values the way agents send them (`true`, `"ja"`, `"yes"`, `1`). */
export function booleanish(value: unknown): boolean | null | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : null;
  const t = text(value);
  if (t === undefined) return undefined;
  const k = key(t);
  if (YES.test(k)) return true;
  if (NO.test(k)) return false;
  return null;
}

/**
 * E-mail addresses as speech-to-text writes them: "max punkt muster at beispiel punkt de",
 * "anna (at) example dot com", "max ät web.de" → `max.muster@beispiel.de`.
 */
export function repairSpokenEmail(raw: string): string {
  const tokens = raw
    .toLowerCase()
    .replace(/\s*(\(at\)|\[at\]|\(ät\)|\[ät\])\s*/g, ' @ ')
    .split(/\s+/)
    .filter(Boolean)
    .map((t) => {
      if (['at', 'ät', 'et', 'klammeraffe', '@'].includes(t)) return '@';
      if (['punkt', 'dot', 'point'].includes(t)) return '.';
      if (['minus', 'bindestrich', 'dash', 'hyphen'].includes(t)) return '-';
      if (['unterstrich', 'underscore'].includes(t)) return '_';
      return t;
    });
  return tokens.join('').replace(/\.{2,}/g, '.');
}

/** Reads the agent's arguments into one shape; the first alias present wins. */
export function readArgs(raw: Record<string, unknown>): FunctionArgs {
  const out: FunctionArgs = {};
  for (const [rawKey, value] of Object.entries(raw ?? {})) {
    const field = FIELD_OF.get(key(rawKey));
    if (!field || out[field] !== undefined) continue;
    if (field === 'confirm') {
      const b = booleanish(value);
      if (b !== undefined) out.confirm = b;
      continue;
    }
    const t = text(value);
    if (t === undefined) continue;
    (out as Record<string, string>)[field] = field === 'email' ? repairSpokenEmail(t) : t;
  }
  return out;
}
