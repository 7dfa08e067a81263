import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/min';

/**
 * One phone normalisation for the whole platform: callers, customers and dialled numbers become E.164 or
 * null. A national number (`030 1234567`) needs the country it was dialled in; we take it from a number we
 * know (the company's own line) or an explicit ISO country. Withheld numbers ("anonymous", "unknown", empty)
 * are null, never a guess; numbers are compared whole, never by their last digits.
 */
const WITHHELD = /^(anonymous|unknown|withheld|restricted|private|unavailable|none|null|undefined)$/i;

export function toE164(raw: unknown, context?: { country?: string; sameCountryAs?: string | null }): string | null {
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const text = String(raw).trim();
  if (!text || WITHHELD.test(text)) return null;
  const cleaned = text.replace(/^00/, '+');
  const country = (context?.country?.toUpperCase() ?? countryOf(context?.sameCountryAs)) as CountryCode | undefined;
  const parsed = parsePhoneNumberFromString(cleaned, country ? { defaultCountry: country } : undefined);
  if (!parsed || !parsed.isPossible()) return null;
  return parsed.number;
}

/** ISO country of an E.164 number (`+4930…` → `DE`), if known. */
export function countryOf(e164: string | null | undefined): string | undefined {
  if (!e164) return undefined;
  return parsePhoneNumberFromString(e164)?.country;
}
