import { LocalDate, weekdayOf, zonedParts } from './zone';

/**
 * How the agent says dates and times: German Sie-form style "Montag, den 3. November um 14:30 Uhr", English
 * "Monday, 3 November at 2:30 pm". Alternatives are joined with "oder"/"or", never with line breaks.
 */
export type SpokenLanguage = 'de' | 'en';

export function spokenLanguage(language: string | null | undefined): SpokenLanguage {
  return (language ?? '').toLowerCase().startsWith('en') ? 'en' : 'de';
}

const WEEKDAY_NAMES: Record<SpokenLanguage, string[]> = {
  de: ['Sonntag', 'Montag', 'Dienstag', 'Mittwoch', 'Donnerstag', 'Freitag', 'Samstag'],
  en: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
};
const MONTH_NAMES: Record<SpokenLanguage, string[]> = {
  de: ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'],
  en: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
};

export const weekdayName = (date: LocalDate, lang: SpokenLanguage) => WEEKDAY_NAMES[lang][weekdayOf(date)];

/** "Montag, den 3. November" / "Monday, 3 November" (with the year only when it is not `currentYear`). */
export function spokenDate(date: LocalDate, lang: SpokenLanguage, currentYear?: number): string {
  const year = currentYear !== undefined && date.year !== currentYear ? ` ${date.year}` : '';
  const month = MONTH_NAMES[lang][date.month - 1];
  return lang === 'de'
    ? `${weekdayName(date, lang)}, den ${date.day}. ${month}${year}`
    : `${weekdayName(date, lang)}, ${date.day} ${month}${year}`;
}

/** "14:30 Uhr", "9:00 Uhr" / "2:30 pm", "9 am", "12 pm". */
export function spokenTime(time: { hour: number; minute: number }, lang: SpokenLanguage): string {
  const mm = String(time.minute).padStart(2, '0');
  if (lang === 'de') return `${time.hour}:${mm} Uhr`;
  const h12 = time.hour % 12 === 0 ? 12 : time.hour % 12;
  const suffix = time.hour < 12 ? 'am' : 'pm';
  return time.minute === 0 ? `${h12} ${suffix}` : `${h12}:${mm} ${suffix}`;
}

/** "Montag, den 3. November um 14:30 Uhr" / "Monday, 3 November at 2:30 pm", in the company's time zone. */
export function spokenDateTime(instant: Date, timeZone: string, lang: SpokenLanguage, currentYear?: number): string {
  const p = zonedParts(instant, timeZone);
  return `${spokenDate(p, lang, currentYear)} ${lang === 'de' ? 'um' : 'at'} ${spokenTime(p, lang)}`;
}

/** "A, B oder C" / "A, B or C". */
export function joinAlternatives(items: string[], lang: SpokenLanguage): string {
  return joinWith(items, lang === 'de' ? 'oder' : 'or');
}

/** "A, B und C" / "A, B and C". */
export function joinAll(items: string[], lang: SpokenLanguage): string {
  return joinWith(items, lang === 'de' ? 'und' : 'and');
}

function joinWith(items: string[], word: string): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${word} ${items[items.length - 1]}`;
}

const DE_HOURS = ['zwölf', 'eins', 'zwei', 'drei', 'vier', 'fünf', 'sechs', 'sieben', 'acht', 'neun', 'zehn', 'elf'];
const EN_HOURS = ['twelve', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven'];
const DE_FULL = [
  'null', 'ein', 'zwei', 'drei', 'vier', 'fünf', 'sechs', 'sieben', 'acht', 'neun', 'zehn', 'elf', 'zwölf', 'dreizehn', 'vierzehn',
  'fünfzehn', 'sechzehn', 'siebzehn', 'achtzehn', 'neunzehn', 'zwanzig', 'einundzwanzig', 'zweiundzwanzig', 'dreiundzwanzig',
];

/**
 * A clock time as people say it: "halb drei" for 14:30 (the next hour in 12-hour words — never "halb
 * fünfzehn", seed-behaviour §3), "viertel nach zwei", "viertel vor drei", "vierzehn Uhr", otherwise the
 * figures ("14:10 Uhr"); English "half past two", "quarter to three", "two o'clock".
 */
export function spokenClock(time: { hour: number; minute: number }, lang: SpokenLanguage): string {
  const { hour, minute } = time;
  const next = (hour + 1) % 12;
  if (lang === 'de') {
    if (minute === 0) return `${DE_FULL[hour]} Uhr`;
    if (minute === 15) return `viertel nach ${DE_HOURS[hour % 12]}`;
    if (minute === 30) return `halb ${DE_HOURS[next]}`;
    if (minute === 45) return `viertel vor ${DE_HOURS[next]}`;
    return spokenTime(time, 'de');
  }
  if (minute === 0) return `${EN_HOURS[hour % 12]} o'clock`;
  if (minute === 15) return `quarter past ${EN_HOURS[hour % 12]}`;
  if (minute === 30) return `half past ${EN_HOURS[hour % 12]}`;
  if (minute === 45) return `quarter to ${EN_HOURS[next]}`;
  return spokenTime(time, 'en');
}
