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
  /**
   * `ambiguous`: said without am/pm or a 24-hour figure ("halb drei", "um 9"), so `hour` is only the usual
   * reading and `hour ± 12` is possible too; `settleTime` decides with the company's opening hours.
   * `approximate`: "gegen", "etwa", "around" — a slot near it is what was asked for.
   */
  | { kind: 'time'; hour: number; minute: number; ambiguous?: true; approximate?: true }
  /** Minutes after local midnight, `from` inclusive, `to` exclusive. */
  | { kind: 'period'; from: number; to: number; label: PeriodLabel };

export type PeriodLabel = 'early' | 'morning' | 'forenoon' | 'midday' | 'after_lunch' | 'afternoon' | 'evening' | 'late' | 'after' | 'before' | 'between';

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
  after_lunch: [13, 17],
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
/** Counts in "in einer Woche", "in a week", "in 3 Tagen". */
const count = (s: string): number => (/^(ein|einer|einem|eine|a|an|one)$/.test(s) ? 1 : num(s));
const HOUR_TOKEN = `(\\d{1,2}|(?:${NUMBER_WORD_LIST}))`;

// ---- dates ----------------------------------------------------------------------------------------------------

/** Words that may follow "nächste Woche" without naming a day: times of day, fillers, time words. */
const AFTER_WEEK =
  /^(am|um|ab|an|gegen|so|bitte|irgendwann|vormittags?|nachmittags?|abends?|morgens?|mittags?|fruh|spat|spater|dann|wenn|oder|und|zwischen|nach|vor|in|im|zur|zu|noch|mal|auch|gern|gerne|uhr|wann|wo|da|ist|ware|waere|ginge|geht|passt|hatte|haette|habe|hab|ich|wir|es|at|on|any|anytime|some|sometime|morning|afternoon|evening|night|please|if|or|and|between|after|before|around|about|would|works?|is|maybe|vielleicht|eventuell|lieber|bevorzugt|ganztags|egal|the|a|in|early|late|fine|possible|moglich|moeglich|montags?|dienstags?|mittwochs?|donnerstags?|freitags?|samstags?|sonntags?|uhrzeit|time)$/;

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

  // A day of the month alone ("am 3.", "den 15.", "on the 3rd"): this month, or next month once it is past.
  if ((m = /\b(?:am|den|zum|on the|the)\s+(\d{1,2})(?:\.(?!\d)|st\b|nd\b|rd\b|th\b)/.exec(text))) {
    const d = Number(m[1]);
    for (let i = 0; i < 3; i++) {
      const first = addDays({ year: today.year, month: today.month, day: 1 }, 0);
      const y = first.year + Math.floor((first.month - 1 + i) / 12);
      const mo = ((first.month - 1 + i) % 12) + 1;
      if (isValidDate(y, mo, d) && compareDates({ year: y, month: mo, day: d }, today) >= 0) return day({ year: y, month: mo, day: d }, m)!;
    }
    return { value: null, rest: blank(text, m) };
  }

  // Relative days ("morgen früh" is tomorrow + early; "morgens" is a period, handled with times).
  if ((m = /\b(u(?:e)?bermorgen|day after tomorrow)\b/.exec(text))) return day(addDays(today, 2), m)!;
  if ((m = /\b(vorgestern)\b/.exec(text))) return day(addDays(today, -2), m)!;
  if ((m = /\b(gestern|yesterday)\b/.exec(text))) return day(addDays(today, -1), m)!;
  if ((m = /\b(heute|today)\b/.exec(text))) return day(today, m)!;
  if (/\btonight\b/.test(text)) return { value: { kind: 'day', date: today }, rest: text }; // keeps "evening"
  if ((m = /(?<!\b(?:am|den|jeden|the) )\b(morgen|tomorrow)\b(?!s)/.exec(text))) return day(addDays(today, 1), m)!;
  if ((m = /\bin (\d{1,2}|[a-z]+) (tagen|tage|tag|days?)\b/.exec(text)) && Number.isFinite(count(m[1]))) return day(addDays(today, count(m[1])), m)!;
  // "in zwei Wochen", "in a week": the same weekday that many weeks on (a weekday named too wins below).
  if ((m = /\bin (\d{1,2}|[a-z]+) (wochen|woche|weeks?)\b/.exec(text)) && Number.isFinite(count(m[1])) && weekdayIn(text) === null) {
    return day(addDays(today, 7 * count(m[1])), m)!;
  }

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
    // "nächste Woche Xyz": a word there that is no day, time or filler is most likely a day we did not catch —
    // not understood, so the agent asks again instead of offering the whole week.
    const after = /^\s*([a-z]+)/.exec(text.slice(week.index + week[0].length))?.[1];
    if (after && !AFTER_WEEK.test(after) && !(after in NUMBER_WORDS) && !(after in MONTHS)) return { value: null, rest: blank(text, week) };
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

interface Hour {
  hour: number;
  ambiguous: boolean;
}

/**
 * The hour a caller booking an appointment most likely means: "zwei Uhr" or "halb drei" in the afternoon (1-6
 * → 13-18), "um 9" in the morning. Such hours are marked ambiguous (the other reading is 12 hours off); an
 * am/pm suffix, a leading zero or a figure above 12 is not.
 */
function businessHour(hour: number, suffix: string | undefined, raw: string): Hour | null {
  if (!Number.isFinite(hour)) return null;
  if (suffix) {
    if (hour < 1 || hour > 12) return null;
    const pm = /^p/.test(suffix);
    return { hour: pm ? (hour % 12) + 12 : hour % 12, ambiguous: false };
  }
  if (hour > 24) return null;
  if (hour === 24) return { hour: 0, ambiguous: false };
  if (hour === 0 || hour >= 12 || raw.startsWith('0')) return { hour, ambiguous: false };
  return { hour: hour <= 6 ? hour + 12 : hour, ambiguous: true };
}

/** "am" without dots only at the end of a phrase: "um 2 am Montag" is German. */
const AMPM = '(a\\.m\\.?|am(?!\\s*[#a-z0-9])|p\\.?m\\.?)';
const APPROX = /\b(gegen|ca\.?|circa|zirka|etwa|ungefahr|so um|so gegen|around|about|approximately|roughly|ish)\b|-ish\b/;

type NamedPeriod = Exclude<PeriodLabel, 'after' | 'before' | 'between'>;
function period(label: NamedPeriod): TimeWish {
  const [a, b] = PERIODS[label];
  return { kind: 'period', from: a * 60, to: b * 60, label };
}

/** A part of the day named in words ("nachmittags", "after lunch", "heute Abend"). */
function findPeriod(text: string): NamedPeriod | null {
  if (/\b(after lunch|nach dem mittagessen|nach der mittagspause|nach mittag|nach dem essen)\b/.test(text)) return 'after_lunch';
  if (/\b(before lunch|vor dem mittagessen|vor der mittagspause)\b/.test(text)) return 'forenoon';
  if (/\bnachmittags?\b|\bafternoon\b/.test(text)) return 'afternoon';
  if (/\bvormittags?\b|\bforenoon\b/.test(text)) return 'forenoon';
  if (/\b(morgens|am morgen|fruh am morgen|morning)\b/.test(text)) return 'morning';
  if (/\b(mittags?|midday|lunchtime|lunch time|lunch|mittagszeit)\b/.test(text)) return 'midday';
  if (/\b(abends?|am abend|evening|tonight)\b/.test(text)) return 'evening';
  if (/\b(fruh|fruhmorgens|early)\b/.test(text)) return 'early';
  if (/\b(spat|spater am tag|late)\b/.test(text)) return 'late';
  return null;
}

const time = (h: Hour, minute: number): TimeWish => ({ kind: 'time', hour: h.hour, minute, ...(h.ambiguous ? { ambiguous: true as const } : {}) });

function findClock(text: string, prefer: 'date' | 'time'): TimeWish | null {
  let m: RegExpExecArray | null;
  const clock = `(\\d{1,2})(?:[:.](\\d{2}))?\\s*(?:uhr|h|o'?clock)?\\s*${AMPM}?`;
  const hourOf = (raw: string, min: string | undefined, ampm: string | undefined): { h: Hour; minutes: number } | null => {
    const h = businessHour(num(raw), ampm?.replace(/\./g, ''), raw);
    const mi = min ? Number(min) : 0;
    return h === null || mi > 59 ? null : { h, minutes: h.hour * 60 + mi };
  };
  const at = (raw: string, min: string | undefined, ampm: string | undefined) => {
    const r = hourOf(raw, min, ampm);
    return r ? time(r.h, r.minutes % 60) : null;
  };

  // "halb drei" = 14:30, "viertel nach drei" = 15:15, "viertel vor drei" = 14:45, "dreiviertel drei" = 14:45,
  // "half past two", "quarter to three". The next hour is named, in 12-hour words.
  if ((m = new RegExp(`\\bhalb\\s+${HOUR_TOKEN}\\b`).exec(text))) {
    const h = businessHour(num(m[1]) - 1 || 12, undefined, m[1]);
    if (h) return time(h, 30);
  }
  if ((m = new RegExp(`\\b(viertel\\s+nach|viertel\\s+vor|dreiviertel|drei viertel)\\s+${HOUR_TOKEN}\\b`).exec(text))) {
    const base = num(m[2]);
    const after = /nach/.test(m[1]);
    const h = businessHour(after ? base : base - 1 || 12, undefined, m[2]);
    if (h) return time(h, after ? 15 : 45);
  }
  if ((m = new RegExp(`\\b(half|quarter)\\s+(past|after|to|before)\\s+${HOUR_TOKEN}\\s*${AMPM}?`).exec(text))) {
    const base = num(m[3]);
    const past = m[2] === 'past' || m[2] === 'after';
    const minute = m[1] === 'half' ? 30 : past ? 15 : 45;
    const h = businessHour(past ? base : base - 1 || 12, m[4]?.replace(/\./g, ''), m[3]);
    if (h) return time(h, minute);
  }

  // Ranges: "zwischen 10 und 12", "between 2 and 4 pm", "von 9 bis 11", "ab 14 Uhr", "vor 11", "after 3pm".
  if ((m = new RegExp(`\\b(?:zwischen|between|von|from)\\s+${clock}\\s*(?:und|and|bis|to|-)\\s*${clock}`).exec(text))) {
    const b = hourOf(m[4], m[5], m[6]);
    let a = hourOf(m[1], m[2], m[3] ?? m[6]);
    // "zwischen 11 und 2": the second figure fixes the first's half of the day.
    if (a && b && a.minutes >= b.minutes && a.h.ambiguous && a.minutes - 720 >= 0 && a.minutes - 720 < b.minutes) a = { ...a, minutes: a.minutes - 720 };
    if (a && b && b.minutes > a.minutes) return { kind: 'period', from: a.minutes, to: b.minutes, label: 'between' };
  }
  if ((m = new RegExp(`\\b(?:ab|nach|after|from|later than|spater als)\\s+${clock}`).exec(text))) {
    const a = hourOf(m[1], m[2], m[3]);
    if (a) return { kind: 'period', from: a.minutes, to: Math.max(a.minutes + 60, DAY_CLOSE), label: 'after' };
  }
  if ((m = new RegExp(`\\b(?:vor|bis|before|until|by|fruher als|earlier than)\\s+${clock}`).exec(text))) {
    const b = hourOf(m[1], m[2], m[3]);
    if (b) return { kind: 'period', from: Math.min(DAY_OPEN, b.minutes - 60), to: b.minutes, label: 'before' };
  }

  // Digits: "14:30", "14.30 Uhr", "14 Uhr 30", "14h30", "2:30 pm", "2pm".
  if ((m = new RegExp(`\\b(\\d{1,2})[:](\\d{2})\\s*(?:uhr|h)?\\s*${AMPM}?`).exec(text))
    || (m = new RegExp(`\\b(\\d{1,2})\\.(\\d{2})\\s*(?:uhr|h\\b)\\s*${AMPM}?`).exec(text))
    || (prefer === 'time' && (m = new RegExp(`^\\s*(?:um\\s+|at\\s+)?(\\d{1,2})\\.(\\d{2})\\s*${AMPM}?\\s*$`).exec(text)))) {
    const t = at(m[1], m[2], m[3]);
    // "9:30" written with minutes is a 24-hour figure; only 1:00-6:59 may still mean the afternoon.
    if (t && t.kind === 'time' && t.ambiguous && t.hour >= 7 && t.hour <= 11) return { kind: 'time', hour: t.hour, minute: t.minute };
    if (t) return t;
  }
  if ((m = /\b(\d{1,2})\s*(?:uhr|h)\s*(\d{1,2})?\b/.exec(text))) {
    const t = at(m[1], m[2]?.padStart(2, '0'), undefined);
    if (t) return t;
  }
  if ((m = new RegExp(`\\b(\\d{1,2})\\s*${AMPM}(?![a-z])`).exec(text))) {
    const t = at(m[1], undefined, m[2]);
    if (t) return t;
  }
  // Words: "vierzehn Uhr dreißig", "drei Uhr", "two o'clock", "two thirty pm".
  if ((m = new RegExp(`\\b${NUMBER_WORD}\\s+(?:uhr|o'?clock)(?:\\s+${NUMBER_WORD})?\\b`).exec(text))) {
    const h = businessHour(num(m[1]), undefined, m[1]);
    const mi = m[2] ? num(m[2]) : 0;
    if (h && mi >= 0 && mi < 60) return time(h, mi);
  }
  if ((m = new RegExp(`\\b(?:at\\s+)?${NUMBER_WORD}\\s+${NUMBER_WORD}\\s*${AMPM}`).exec(text))) {
    const h = businessHour(num(m[1]), m[3].replace(/\./g, ''), m[1]);
    const mi = num(m[2]);
    if (h && mi >= 10 && mi < 60) return time(h, mi);
  }
  if ((m = new RegExp(`\\b${NUMBER_WORD}\\s*${AMPM}(?![a-z])`).exec(text))) {
    const h = businessHour(num(m[1]), m[2].replace(/\./g, ''), m[1]);
    if (h) return time(h, 0);
  }
  if (/\b(noon|zwolf uhr mittags|um mittag|at midday|mittags um zwolf)\b/.test(text)) return { kind: 'time', hour: 12, minute: 0 };

  // "um 2", "at 9", "um neun": a time whatever else was said.
  if ((m = new RegExp(`\\b(?:um|at|gegen|around|about)\\s+(\\d{1,2}|${NUMBER_WORD})\\b(?![.:]?\\d)`).exec(text))) {
    const t = at(m[1], undefined, undefined);
    if (t) return t;
  }
  // A bare number where a time is expected: "14".
  if (prefer === 'time' && (m = /^\s*(?:um\s+|at\s+)?(\d{1,2})\s*$/.exec(text))) {
    const t = at(m[1], undefined, undefined);
    if (t) return t;
  }
  return null;
}

/** Minutes between a minute of the day and a period (0 inside it). */
const distanceToPeriod = (minute: number, from: number, to: number) => (minute < from ? from - minute : minute >= to ? minute - to + 1 : 0);

function findTime(text: string, prefer: 'date' | 'time'): TimeWish | null {
  const clock = findClock(text, prefer);
  const named = findPeriod(text);
  if (!clock) return named ? period(named) : null;
  if (clock.kind === 'time') {
    let t = clock;
    // "um 8 abends", "halb acht morgens": a named part of the day settles an ambiguous hour.
    if (named && t.ambiguous) {
      const [a, b] = PERIODS[named].map((h) => h * 60);
      const readings = [t.hour, (t.hour + 12) % 24].map((hour) => ({ hour, d: distanceToPeriod(hour * 60 + t.minute, a, b) }));
      const best = readings.sort((x, y) => x.d - y.d)[0];
      t = { kind: 'time', hour: best.hour, minute: t.minute };
    }
    if (APPROX.test(text)) t = { ...t, approximate: true };
    return t;
  }
  return clock;
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
  let time = found.time ?? findTime(found.rest, prefer);
  // "morgen Morgen": the first is the day (already taken), a second one can only be the morning.
  if (!time && found.value && /\bmorgen\b/.test(found.rest)) time = period('morning');
  return { date: found.value, time };
}

/** Merges what several arguments said: the first date and the first time found win. */
export function mergeWhen(...parts: ParsedWhen[]): ParsedWhen {
  return {
    date: parts.find((p) => p.date)?.date ?? null,
    time: parts.find((p) => p.time)?.time ?? null,
  };
}
