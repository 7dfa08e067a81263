/**
 * Message texts. German and English are built in; a company may override any kind and language
 * (`notification_template`). Placeholders are `{{name}}`; `{{#name}}…{{/name}}` is kept only when `name` has a
 * value (e.g. the company name, unknown until the company's notification set-up arrived).
 */

export const messageKinds = ['confirmation', 'reschedule', 'cancellation', 'reminder', 'opt_out', 'opt_in'] as const;
export type MessageKind = (typeof messageKinds)[number];

export const BUILT_IN_LANGUAGES = ['de', 'en'] as const;
export type BuiltInLanguage = (typeof BUILT_IN_LANGUAGES)[number];

const AT_DE = '{{#company_name}} bei {{company_name}}{{/company_name}}';
const AT_EN = '{{#company_name}} at {{company_name}}{{/company_name}}';

export const BUILT_IN_TEMPLATES: Record<BuiltInLanguage, Record<MessageKind, string>> = {
  de: {
    confirmation: `Hallo {{customer_name}}, Ihr Termin für {{service_name}}${AT_DE} am {{date}} um {{time}} Uhr ist bestätigt. Abmelden: STOP`,
    reschedule: `Hallo {{customer_name}}, Ihr Termin für {{service_name}}${AT_DE} wurde auf {{date}} um {{time}} Uhr verschoben. Abmelden: STOP`,
    cancellation: `Hallo {{customer_name}}, Ihr Termin für {{service_name}}${AT_DE} am {{date}} um {{time}} Uhr wurde storniert. Abmelden: STOP`,
    reminder: `Erinnerung: Hallo {{customer_name}}, Ihr Termin für {{service_name}}${AT_DE} ist am {{date}} um {{time}} Uhr. Abmelden: STOP`,
    opt_out: 'Sie erhalten keine Nachrichten mehr{{#company_name}} von {{company_name}}{{/company_name}}. Mit START melden Sie sich wieder an.',
    opt_in: 'Sie erhalten wieder Nachrichten{{#company_name}} von {{company_name}}{{/company_name}}. Abmelden: STOP',
  },
  en: {
    confirmation: `Hello {{customer_name}}, your appointment for {{service_name}}${AT_EN} on {{date}} at {{time}} is confirmed. Reply STOP to opt out.`,
    reschedule: `Hello {{customer_name}}, your appointment for {{service_name}}${AT_EN} has been moved to {{date}} at {{time}}. Reply STOP to opt out.`,
    cancellation: `Hello {{customer_name}}, your appointment for {{service_name}}${AT_EN} on {{date}} at {{time}} has been cancelled. Reply STOP to opt out.`,
    reminder: `Reminder: hello {{customer_name}}, your appointment for {{service_name}}${AT_EN} is on {{date}} at {{time}}. Reply STOP to opt out.`,
    opt_out: 'You will receive no more messages{{#company_name}} from {{company_name}}{{/company_name}}. Reply START to receive them again.',
    opt_in: 'You will receive messages{{#company_name}} from {{company_name}}{{/company_name}} again. Reply STOP to opt out.',
  },
};

export type TemplateVariables = Partial<Record<'customer_name' | 'service_name' | 'company_name' | 'date' | 'time', string | null>>;

export function render(template: string, vars: TemplateVariables): string {
  const values = vars as Record<string, string | null | undefined>;
  return template
    .replace(/\{\{#(\w+)\}\}([\s\S]*?)\{\{\/\1\}\}/g, (_m, name: string, inner: string) => (values[name] ? inner : ''))
    .replace(/\{\{(\w+)\}\}/g, (_m, name: string) => values[name] ?? '')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}

/** `de-AT` → `de`. */
export const baseLanguage = (language: string) => language.slice(0, 2).toLowerCase();

export function isBuiltIn(language: string): language is BuiltInLanguage {
  return (BUILT_IN_LANGUAGES as readonly string[]).includes(language);
}

/** Locale for dates: the customer's own (`en-US` keeps its 12-hour clock); bare `en` reads as British English. */
function locale(language: string): string {
  if (language.includes('-')) return language;
  return language === 'en' ? 'en-GB' : language;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Building an Intl formatter costs far more than using one; there are few (locale, zone) pairs. */
function formatter(loc: string, timeZone: string, part: 'date' | 'time'): Intl.DateTimeFormat {
  const key = `${loc}|${timeZone}|${part}`;
  let f = formatters.get(key);
  if (!f) {
    const options: Intl.DateTimeFormatOptions =
      part === 'date' ? { timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' } : { timeZone, hour: '2-digit', minute: '2-digit' };
    try {
      f = new Intl.DateTimeFormat(loc, options);
    } catch {
      f = new Intl.DateTimeFormat('de-DE', options);
    }
    if (formatters.size > 1000) formatters.clear();
    formatters.set(key, f);
  }
  return f;
}

/** Date and time of an appointment as the customer reads them, on the company's clock. */
export function formatAppointment(startsAt: Date, timeZone: string, language: string): { date: string; time: string } {
  const loc = locale(language);
  return { date: formatter(loc, timeZone, 'date').format(startsAt), time: formatter(loc, timeZone, 'time').format(startsAt) };
}
