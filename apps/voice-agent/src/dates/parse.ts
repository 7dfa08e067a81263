import {
  LocalDate,
  ZonedNow,
  addDays,
  compareDates,
  isValidDate,
  weekdayOf,
  zonedParts,
} from './zone';

/**
 * What callers say about "when", in German or English, read against "now" in the company's time zone.
 * Pure functions: no clock, no I/O. One table of periods (seed-behaviour §5 "Fix: one table"), and
 * "morgen" is always a date, never the morning.
 */
export type DateWish =
  | { kind: 'day'; date: LocalDate }
  /** Whole days from `from` to `to` inclusive ("nächste Woche"). */
  | { kind: 'range'; from: LocalDate; to: LocalDate; label: 'this_week' | 'next_week' | 'week_after_next' };

export type TimeWish =
  | { kind: 'time'; hour: number; minute: number }
  /** Minutes after local midnight, `from` inclusive, `to` exclusive. */
  | { kind: 'period'; from: number; to: number; label: PeriodLabel };

export type PeriodLabel = 'early' | 'morning' | 'forenoon' | 'midday' | 'afternoon' | 'evening' | 'late' | 'after' | 'before' | 'between';

export interface ParsedWhen {
  date: DateWish | null;
  time: TimeWish | null;
}

/** Vague periods, one table for the whole platform (hours, local time). */
export const PERIODS: Record<Exclude<PeriodLabel, 'after' | 'before' | 'between'>, [number, number]> = {
  early: [7, 9],
  morning: [8, 12],
  forenoon: [9, 12],
  midday: [11, 14],
  afternoon: [13, 17],
  evening: [17, 21],
  late: [19, 22],
};
/** Bounds for open-ended periods ("ab 14 Uhr", "before 11"). */
const DAY_OPEN = 7 * 60;
const DAY_CLOSE = 22 * 60;

/** Lower-case, accents and umlauts folded (ä → a), ß → ss, single spaces. */
export function fold(text: string): string {
  return text
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}

// ---- words ----------------------------------------------------------------------------------------------------

const WEEKDAYS: [RegExp, number][] = [
  [/\b(sonntags?|sunday|sun)\b/, 0],
  [/\b(montags?|monday|mon)\b/, 1],
  [/\b(dienstags?|tuesday|tue|tues)\b/, 2],
  [/\b(mittwochs?|wednesday|wed)\b/, 3],
  [/\b(donnerstags?|thursday|thu|thurs)\b/, 4],
  [/\b(freitags?|friday|fri)\b/, 5],
  [/\b(samstags?|sonnabends?|saturday|sat)\b/, 6],
];
const WEEKDAY_WORD =
  '(?:sonntags?|montags?|dienstags?|mittwochs?|donnerstags?|freitags?|samstags?|sonnabends?|sunday|monday|tuesday|wednesday|thursday|friday|saturday|sun|mon|tues?|wed|thurs?|fri|sat)';

const MONTHS: Record<string, number> = {
  januar: 1, january: 1, jan: 1, janner: 1,
  februar: 2, february: 2, feb: 2,
  marz: 3, maerz: 3, march: 3, mar: 3, mrz: 3,
  april: 4, apr: 4,
  mai: 5, may: 5,
  juni: 6, june: 6, jun: 6,
  juli: 7, july: 7, jul: 7,
  august: 8, aug: 8,
  september: 9, sept: 9, sep: 9,
  oktober: 10, october: 10, okt: 10, oct: 10,
  november: 11, nov: 11,
  dezember: 12, december: 12, dez: 12, dec: 12,
};
const MONTH_WORD = `(${Object.keys(MONTHS).sort((a, b) => b.length - a.length).join('|')})\\.?`;

const NUMBER_WORDS: Record<string, number> = {
  null: 0, zero: 0,
  ein: 1, eins: 1, eine: 1, one: 1,
  zwei: 2, two: 2,
  drei: 3, three: 3,
  vier: 4, four: 4,
  funf: 5, five: 5,
  sechs: 6, six: 6,
  sieben: 7, seven: 7,
  acht: 8, eight: 8,
  neun: 9, nine: 9,
  zehn: 10, ten: 10,
  elf: 11, eleven: 11,
  zwolf: 12, twelve: 12,
  dreizehn: 13, vierzehn: 14, funfzehn: 15, fifteen: 15, sechzehn: 16, siebzehn: 17, achtzehn: 18, neunzehn: 19,
  zwanzig: 20, twenty: 20, einundzwanzig: 21, zweiundzwanzig: 22, dreiundzwanzig: 23,
  dreissig: 30, thirty: 30, vierzig: 40, forty: 40, funfundvierzig: 45, 'forty-five': 45, 'forty five': 45, funfzig: 50, fifty: 50,
};
const NUMBER_WORD_LIST = Object.keys(NUMBER_WORDS).sort((a, b) => b.length - a.length).join('|');
const NUMBER_WORD = `(${NUMBER_WORD_LIST})`;
const num = (s: string): number => (/^\d+$/.test(s) ? Number(s) : (NUMBER_WORDS[s] ?? NaN));
const HOUR_TOKEN = `(\\d{1,2}|(?:${NUMBER_WORD_LIST}))`;

// ---- dates ----------------------------------------------------------------------------------------------------

const NEXT = '(?:nachste[nrms]?|naechste[nrms]?|kommende[nrms]?|next|coming)';
const THIS = '(?:diese[nrms]?|this|am|on)';

/** Monday of the ISO week containing `date`. */
function mondayOf(date: LocalDate): LocalDate {
  return addDays(date, -((weekdayOf(date) + 6) % 7));
}

/** `target` weekday strictly after today. */
function nextWeekday(today: LocalDate, target: number): LocalDate {
  const delta = ((target - weekdayOf(today) + 7) % 7) || 7;
  return addDays(today, delta);
}

/** `target` weekday in this ISO week if today or later, else next week's. */
function thisWeekday(today: LocalDate, target: number): LocalDate {
  const candidate = addDays(mondayOf(today), (target + 6) % 7);
  return compareDates(candidate, today) >= 0 ? candidate : addDays(candidate, 7);
}

function weekdayIn(text: string): number | null {
  for (const [re, wd] of WEEKDAYS) if (re.test(text)) return wd;
  return null;
}

/** A day and month without a year: this year, unless more than 2 days past, then next year. */
function nearestYear(today: LocalDate, month: number, day: number): LocalDate | null {
  for (const year of [today.year, today.year + 1]) {
    if (!isValidDate(year, month, day)) continue;
    const date = { year, month, day };
    if (year > today.year || compareDates(date, addDays(today, -2)) >= 0) return date;
  }
  return null;
}

interface Found<T> {
  value: T;
  /** The text with the matched part blanked, so a date's digits are not read again as a time. */
  rest: string;
}
/** Blanked with '#' (not spaces) so what is left still shows that something stood there. */
const blank = (text: string, match: RegExpExecArray) =>
  text.slice(0, match.index) + '#'.repeat(match[0].length) + text.slice(match.index + match[0].length);

function findDate(text: string, now: ZonedNow, prefer: 'date' | 'time'): Found<DateWish | null> & { time?: TimeWish } {
  const today: LocalDate = { year: now.local.year, month: now.local.month, day: now.local.day };
  const day = (date: LocalDate | null, match: RegExpExecArray): Found<DateWish | null> | null =>
    date ? { value: { kind: 'day', date }, rest: blank(text, match) } : null;
  let m: RegExpExecArray | null;

  // Unfilled template variables the agent passes through literally.
  if ((m = /\{\{\s*(current_date|heute_datum|today)\s*\}\}/.exec(text))) return day(today, m)!;

  // ISO date-time; with an offset it is an instant, read on the company's wall clock.
  if ((m = /\b(\d{4})-(\d{2})-(\d{2})[t ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?\s*(z|[+-]\d{2}:?\d{2})?\b/.exec(text))) {
    let [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
    if (m[6]) {
      const instant = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00${m[6] === 'z' ? 'Z' : m[6].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')}`);
      if (Number.isNaN(instant.getTime())) return { value: null, rest: text };
      const p = zonedParts(instant, now.timeZone);
      [y, mo, d, h, mi] = [p.year, p.month, p.day, p.hour, p.minute];
    }
    if (!isValidDate(y, mo, d) || h > 23 || mi > 59) return { value: null, rest: blank(text, m) };
    return { value: { kind: 'day', date: { year: y, month: mo, day: d } }, rest: blank(text, m), time: { kind: 'time', hour: h, minute: mi } };
  }
  if ((m = /\b(\d{4})-(\d{1,2})-(\d{1,2})\b/.exec(text))) {
    const [y, mo, d] = [m[1], m[2], m[3]].map(Number);
    return isValidDate(y, mo, d) ? day({ year: y, month: mo, day: d }, m)! : { value: null, rest: blank(text, m) };
  }
  // 03.11.2025, 3.11.25
  if ((m = /\b(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})\b/.exec(text))) {
    const [d, mo] = [Number(m[1]), Number(m[2])];
    const y = m[3].length === 2 ? 2000 + Number(m[3]) : Number(m[3]);
    return isValidDate(y, mo, d) ? day({ year: y, month: mo, day: d }, m)! : { value: null, rest: blank(text, m) };
  }
  // "3. November 2025", "13 dezember", "3rd of november"
  if ((m = new RegExp(`\\b(\\d{1,2})(?:\\.|st|nd|rd|th)?\\s*(?:of\\s+)?${MONTH_WORD}(?:\\s+(\\d{4}))?\\b`).exec(text))) {
    const d = Number(m[1]);
    const mo = MONTHS[m[2]];
    if (m[3]) return isValidDate(Number(m[3]), mo, d) ? day({ year: Number(m[3]), month: mo, day: d }, m)! : { value: null, rest: blank(text, m) };
    return day(nearestYear(today, mo, d), m) ?? { value: null, rest: blank(text, m) };
  }
  // "November 3rd", "november 3, 2025"
  if ((m = new RegExp(`\\b${MONTH_WORD}\\s+(\\d{1,2})(?:st|nd|rd|th)?(?:,?\\s+(\\d{4}))?\\b`).exec(text))) {
    const mo = MONTHS[m[1]];
    const d = Number(m[2]);
    if (m[3]) return isValidDate(Number(m[3]), mo, d) ? day({ year: Number(m[3]), month: mo, day: d }, m)! : { value: null, rest: blank(text, m) };
    return day(nearestYear(today, mo, d), m) ?? { value: null, rest: blank(text, m) };
  }
  // "3.11." always a date; "3.11" a date unless it reads as a time ("14.30 Uhr", or a time is expected).
  if ((m = /\b(\d{1,2})\.(\d{1,2})(\.)?(?!\d)(?!\s*(?:uhr|h\b))/.exec(text)) && (m[3] || prefer === 'date')) {
    const [d, mo] = [Number(m[1]), Number(m[2])];
    if (mo >= 1 && mo <= 12 && d >= 1 && d <= 31) return day(nearestYear(today, mo, d), m) ?? { value: null, rest: blank(text, m) };
  }

  // Relative days ("morgen früh" is tomorrow + early; "morgens" is a period, handled with times).
  if ((m = /\b(u(?:e)?bermorgen|day after tomorrow)\b/.exec(text))) return day(addDays(today, 2), m)!;
  if ((m = /\b(heute|today)\b/.exec(text))) return day(today, m)!;
  if (/\btonight\b/.test(text)) return { value: { kind: 'day', date: today }, rest: text }; // keeps "evening"
  if ((m = /(?<!\b(?:am|den|jeden|the) )\b(morgen|tomorrow)\b(?!s)/.exec(text))) return day(addDays(today, 1), m)!;
  if ((m = /\bin (\d{1,2}|[a-z]+) (tagen|tage|days?)\b/.exec(text)) && Number.isFinite(num(m[1]))) return day(addDays(today, num(m[1])), m)!;

  // Weekdays, with or without "(this|next) week".
  const week = new RegExp(`\\b(?:(${NEXT}|diese|this|ubernachste|uebernachste|the week after next)\\s+woche|(next|this)\\s+week|week after next)\\b`).exec(text);
  const wd = weekdayIn(text);
  if (week) {
    const which = week[0];
    const offset = /ubernachste|uebernachste|after next/.test(which) ? 14 : /diese|this/.test(which) ? 0 : 7;
    const monday = addDays(mondayOf(today), offset);
    if (wd !== null) {
      const wdMatch = new RegExp(`\\b${WEEKDAY_WORD}\\b`).exec(text)!;
      const date = offset === 0 ? thisWeekday(today, wd) : addDays(monday, (wd + 6) % 7);
      return { value: { kind: 'day', date }, rest: blank(blank(text, week), wdMatch) };
    }
    const label = offset === 0 ? 'this_week' : offset === 7 ? 'next_week' : 'week_after_next';
    // This week: from today (never days already past), to Sunday.
    const from = offset === 0 ? today : monday;
    return { value: { kind: 'range', from, to: addDays(monday, 6), label }, rest: blank(text, week) };
  }
  if (wd !== null) {
    const modified = new RegExp(`\\b(${NEXT}|${THIS})\\s+${WEEKDAY_WORD}\\b`).exec(text);
    if (modified) {
      const isNext = new RegExp(`^${NEXT}$`).test(modified[1]);
      return { value: { kind: 'day', date: isNext ? nextWeekday(today, wd) : thisWeekday(today, wd) }, rest: blank(text, modified) };
    }
    const bare = new RegExp(`\\b${WEEKDAY_WORD}\\b`).exec(text)!;
    return { value: { kind: 'day', date: nextWeekday(today, wd) }, rest: blank(text, bare) };
  }
  return { value: null, rest: text };
}

// ---- times ----------------------------------------------------------------------------------------------------

/**
 * A caller booking an appointment means 14:00 by "zwei Uhr" or "halb drei": hours 1-6 without am/pm or a
 * leading zero are read in the afternoon.
 */
function businessHour(hour: number, suffix: string | undefined, raw: string): number | null {
  if (!Number.isFinite(hour)) return null;
  if (suffix) {
    if (hour < 1 || hour > 12) return null;
    const pm = /^p/.test(suffix);
    return pm ? (hour % 12) + 12 : hour % 12;
  }
  if (hour > 24) return null;
  if (hour === 24) return 0;
  if (hour >= 1 && hour <= 6 && !raw.startsWith('0')) return hour + 12;
  return hour;
}

/** "am" without dots only at the end of a phrase: "um 2 am Montag" is German. */
const AMPM = '(a\\.m\\.?|am(?!\\s*[#a-z0-9])|p\\.?m\\.?)';

function period(label: Exclude<PeriodLabel, 'after' | 'before' | 'between'>): TimeWish {
  const [a, b] = PERIODS[label];
  return { kind: 'period', from: a * 60, to: b * 60, label };
}

function findTime(text: string, prefer: 'date' | 'time'): TimeWish | null {
  let m: RegExpExecArray | null;
  const clock = `(\\d{1,2})(?:[:.](\\d{2}))?\\s*(?:uhr|h|o'?clock)?\\s*${AMPM}?`;
  const hourOf = (raw: string, min: string | undefined, ampm: string | undefined) => {
    const h = businessHour(num(raw), ampm?.replace(/\./g, ''), raw);
    const mi = min ? Number(min) : 0;
    return h === null || mi > 59 ? null : h * 60 + mi;
  };

  // "halb drei" = 14:30, "viertel nach drei" = 15:15, "viertel vor drei" = 14:45, "half past two", "quarter to three".
  if ((m = new RegExp(`\\bhalb\\s+${HOUR_TOKEN}\\b`).exec(text))) {
    const h = businessHour(num(m[1]) - 1 || 12, undefined, m[1]);
    if (h !== null) return { kind: 'time', hour: h, minute: 30 };
  }
  if ((m = new RegExp(`\\bviertel\\s+(nach|vor)\\s+${HOUR_TOKEN}\\b`).exec(text))) {
    const base = num(m[2]);
    const h = businessHour(m[1] === 'nach' ? base : base - 1 || 12, undefined, m[2]);
    if (h !== null) return { kind: 'time', hour: h, minute: m[1] === 'nach' ? 15 : 45 };
  }
  if ((m = new RegExp(`\\b(half|quarter)\\s+(past|to)\\s+${HOUR_TOKEN}\\s*${AMPM}?`).exec(text))) {
    const base = num(m[3]);
    const minute = m[1] === 'half' ? 30 : m[2] === 'past' ? 15 : 45;
    const h = businessHour(m[2] === 'to' ? base - 1 || 12 : base, m[4]?.replace(/\./g, ''), m[3]);
    if (h !== null) return { kind: 'time', hour: h, minute };
  }

  // Ranges: "zwischen 10 und 12", "between 2 and 4 pm", "von 9 bis 11", "ab 14 Uhr", "vor 11", "after 3pm".
  if ((m = new RegExp(`\\b(?:zwischen|between|von|from)\\s+${clock}\\s*(?:und|and|bis|to|-)\\s*${clock}`).exec(text))) {
    const a = hourOf(m[1], m[2], m[3] ?? m[6]);
    const b = hourOf(m[4], m[5], m[6]);
    if (a !== null && b !== null && b > a) return { kind: 'period', from: a, to: b, label: 'between' };
  }
  if ((m = new RegExp(`\\b(?:ab|nach|after|from)\\s+${clock}`).exec(text))) {
    const a = hourOf(m[1], m[2], m[3]);
    if (a !== null) return { kind: 'period', from: a, to: Math.max(a + 60, DAY_CLOSE), label: 'after' };
  }
  if ((m = new RegExp(`\\b(?:vor|bis|before|until|by)\\s+${clock}`).exec(text))) {
    const b = hourOf(m[1], m[2], m[3]);
    if (b !== null) return { kind: 'period', from: Math.min(DAY_OPEN, b - 60), to: b, label: 'before' };
  }

  // Digits: "14:30", "14.30 Uhr", "14 Uhr 30", "14h30", "2:30 pm", "2pm".
  if ((m = new RegExp(`\\b(\\d{1,2})[:](\\d{2})\\s*(?:uhr|h)?\\s*${AMPM}?`).exec(text))
    || (m = new RegExp(`\\b(\\d{1,2})\\.(\\d{2})\\s*(?:uhr|h\\b)\\s*${AMPM}?`).exec(text))
    || (prefer === 'time' && (m = new RegExp(`^\\s*(?:um\\s+|at\\s+)?(\\d{1,2})\\.(\\d{2})\\s*${AMPM}?\\s*$`).exec(text)))) {
    const t = hourOf(m[1], m[2], m[3]);
    if (t !== null) return { kind: 'time', hour: Math.floor(t / 60), minute: t % 60 };
  }
  if ((m = /\b(\d{1,2})\s*(?:uhr|h)\s*(\d{1,2})?\b/.exec(text))) {
    const t = hourOf(m[1], m[2]?.padStart(2, '0'), undefined);
    if (t !== null) return { kind: 'time', hour: Math.floor(t / 60), minute: t % 60 };
  }
  if ((m = new RegExp(`\\b(\\d{1,2})\\s*${AMPM}(?![a-z])`).exec(text))) {
    const t = hourOf(m[1], undefined, m[2]);
    if (t !== null) return { kind: 'time', hour: Math.floor(t / 60), minute: t % 60 };
  }
  // Words: "vierzehn Uhr dreißig", "drei Uhr", "two o'clock".
  if ((m = new RegExp(`\\b${NUMBER_WORD}\\s+(?:uhr|o'?clock)(?:\\s+${NUMBER_WORD})?\\b`).exec(text))) {
    const h = businessHour(num(m[1]), undefined, m[1]);
    const mi = m[2] ? num(m[2]) : 0;
    if (h !== null && mi >= 0 && mi < 60) return { kind: 'time', hour: h, minute: mi };
  }
  if (/\b(noon|um mittag|at midday)\b/.test(text)) return { kind: 'time', hour: 12, minute: 0 };

  // Periods.
  if (/\bnachmittags?\b|\bafternoon\b/.test(text)) return period('afternoon');
  if (/\bvormittags?\b|\bforenoon\b/.test(text)) return period('forenoon');
  if (/\b(morgens|am morgen|morning)\b/.test(text)) return period('morning');
  if (/\b(mittags?|midday|lunchtime|lunch time|lunch)\b/.test(text)) return period('midday');
  if (/\b(abends?|am abend|evening|tonight)\b/.test(text)) return period('evening');
  if (/\b(fruh|fruhmorgens|early)\b/.test(text)) return period('early');
  if (/\b(spat|spater am tag|late)\b/.test(text)) return period('late');

  // "um 2", "at 9": a time whatever else was said.
  if ((m = /\b(?:um|at)\s+(\d{1,2})\b(?![.:]?\d)/.exec(text))) {
    const t = hourOf(m[1], undefined, undefined);
    if (t !== null) return { kind: 'time', hour: Math.floor(t / 60), minute: 0 };
  }
  // A bare number where a time is expected: "14".
  if (prefer === 'time' && (m = /^\s*(?:um\s+|at\s+)?(\d{1,2})\s*$/.exec(text))) {
    const t = hourOf(m[1], undefined, undefined);
    if (t !== null) return { kind: 'time', hour: Math.floor(t / 60), minute: 0 };
  }
  return null;
}

/**
 * Reads a date and/or a time from one utterance (`datum`, `uhrzeit` or a combined `datetime`).
 * `prefer` decides ambiguous bare forms: "10.11" is the 10th of November as a date, 10:11 as a time.
 */
export function parseWhen(raw: unknown, now: ZonedNow, prefer: 'date' | 'time' = 'date'): ParsedWhen {
  if (typeof raw !== 'string' && typeof raw !== 'number') return { date: null, time: null };
  const text = fold(String(raw));
  if (!text) return { date: null, time: null };
  const found = findDate(text, now, prefer);
  const time = found.time ?? findTime(found.rest, prefer);
  return { date: found.value, time };
}

/** Merges what several arguments said: the first date and the first time found win. */
export function mergeWhen(...parts: ParsedWhen[]): ParsedWhen {
  return {
    date: parts.find((p) => p.date)?.date ?? null,
    time: parts.find((p) => p.time)?.time ?? null,
  };
}
