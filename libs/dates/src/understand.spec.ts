import { OpeningHours, Wish, WishProblem, understand } from './resolve';
import { spokenClock } from './spoken';
import { ZonedNow, isoInZone, zonedNow } from './zone';

/**
 * Phrase → slot, the way callers say it, against fixed "now"s in the company's zone: an ordinary Saturday,
 * both sides of midnight in Berlin, a month end, the year end, both daylight-saving switches and New York.
 * Expected values: `YYYY-MM-DDTHH:MM±hh:mm` an exact start (`~` = "gegen"/"around"), `YYYY-MM-DD` a day,
 * `YYYY-MM-DD HH:MM-HH:MM` a day and part of it, `A..B` a range of days, `!problem`, `?ambiguous …` a question.
 */
const BERLIN = 'Europe/Berlin';
const NOW: Record<string, ZonedNow> = {
  SAT: zonedNow(BERLIN, new Date('2025-10-18T08:00:00Z')), // Sat 18.10.2025 10:00 CEST
  LATE_SAT: zonedNow(BERLIN, new Date('2025-10-18T21:30:00Z')), // Sat 23:30 — still Saturday in Berlin, Saturday in UTC
  AFTER_MIDNIGHT: zonedNow(BERLIN, new Date('2025-10-18T22:30:00Z')), // Sun 00:30 in Berlin, Saturday 22:30 in UTC
  MONTH_END: zonedNow(BERLIN, new Date('2025-10-31T15:00:00Z')), // Fri 31.10.2025 16:00 CET
  YEAR_END: zonedNow(BERLIN, new Date('2025-12-31T14:00:00Z')), // Wed 31.12.2025 15:00 CET
  SPRING: zonedNow(BERLIN, new Date('2026-03-28T11:00:00Z')), // Sat 28.03.2026 12:00 CET; clocks go forward on Sunday
  SPRING_NIGHT: zonedNow(BERLIN, new Date('2026-03-29T00:30:00Z')), // Sun 29.03.2026 01:30 CET, half an hour before the switch
  AUTUMN: zonedNow(BERLIN, new Date('2026-10-24T10:00:00Z')), // Sat 24.10.2026 12:00 CEST; clocks go back on Sunday
  NEW_YORK: zonedNow('America/New_York', new Date('2025-11-01T02:00:00Z')), // Fri 31.10.2025 22:00 EDT
  MON: zonedNow(BERLIN, new Date('2025-10-20T08:00:00Z')), // Mon 20.10.2025 10:00 CEST
};
const weekdays = (from: string, to: string): OpeningHours => ({ mon: [[from, to]], tue: [[from, to]], wed: [[from, to]], thu: [[from, to]], fri: [[from, to]] });
const HOURS: OpeningHours = { ...weekdays('09:00', '18:00'), sat: [['09:00', '13:00']] };
const WIDE: OpeningHours = weekdays('08:00', '22:00');
const NIGHT: OpeningHours = weekdays('00:00', '04:00');

const hm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const ymd = (d: { year: number; month: number; day: number }) => `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
function show(r: { wish: Wish } | WishProblem, tz: string): string {
  if (!('wish' in r)) {
    if (r.problem === 'ambiguous_time') return `?ambiguous ${r.options.map((o) => hm(o.hour * 60 + o.minute)).join('|')}`;
    if (r.problem === 'time_passed_today') return `!time_passed_today ${hm(r.minuteOfDay)}`;
    return `!${r.problem}`;
  }
  const w = r.wish;
  if (w.kind === 'any') return 'any';
  if (w.kind === 'exact') return isoInZone(w.start, tz).replace(/:00([+-])/, '$1') + (w.approximate ? '~' : '');
  if (w.days.length > 1) return `${ymd(w.days[0])}..${ymd(w.days[w.days.length - 1])}`;
  return w.window ? `${ymd(w.days[0])} ${hm(w.window[0])}-${hm(w.window[1])}` : ymd(w.days[0]);
}

type Case = [now: keyof typeof NOW, phrase: string, expected: string, hours?: OpeningHours | null];
const cases: Case[] = [
  // ---- an ordinary Saturday, German ----
  ['SAT', 'heute', '2025-10-18'],
  ['SAT', 'morgen', '2025-10-19'],
  ['SAT', 'übermorgen', '2025-10-20'],
  ['SAT', 'uebermorgen', '2025-10-20'],
  ['SAT', 'morgen um 14 Uhr', '2025-10-19T14:00+02:00'],
  ['SAT', 'übermorgen um 14 Uhr', '2025-10-20T14:00+02:00'],
  ['SAT', 'morgen Vormittag', '2025-10-19 09:00-12:00'],
  ['SAT', 'morgen vormittags', '2025-10-19 09:00-12:00'],
  ['SAT', 'morgen früh', '2025-10-19 07:00-09:00'],
  ['SAT', 'morgen Nachmittag', '2025-10-19 13:00-17:00'],
  ['SAT', 'morgen Abend', '2025-10-19 17:00-21:00'],
  ['SAT', 'morgen Mittag', '2025-10-19 11:00-14:00'],
  ['SAT', 'morgen Morgen', '2025-10-19 08:00-12:00'],
  ['SAT', 'am Morgen', '2025-10-18 08:00-12:00'], // the morning still has two hours left
  ['SAT', 'nächsten Dienstag gegen halb drei', '2025-10-21T14:30+02:00~'],
  ['SAT', 'nächsten Dienstag', '2025-10-21'],
  ['SAT', 'naechsten Dienstag', '2025-10-21'],
  ['SAT', 'kommenden Dienstag', '2025-10-21'],
  ['SAT', 'Dienstag', '2025-10-21'],
  ['SAT', 'diesen Freitag', '2025-10-24'],
  ['SAT', 'am Freitag um 10', '2025-10-24T10:00+02:00'],
  ['SAT', 'Samstag', '2025-10-25'],
  ['SAT', 'diesen Samstag', '2025-10-18'],
  ['SAT', 'nächste Woche Sonntag', '2025-10-26'],
  ['SAT', 'nächste Woche Mittwoch um 9', '2025-10-22T09:00+02:00'],
  ['SAT', 'Mittwoch nächste Woche', '2025-10-22'],
  ['SAT', 'nächste Woche', '2025-10-20..2025-10-26'],
  ['SAT', 'diese Woche', '2025-10-18..2025-10-19'],
  ['SAT', 'übernächste Woche', '2025-10-27..2025-11-02'],
  ['SAT', 'in zwei Wochen', '2025-11-01'],
  ['SAT', 'in einer Woche', '2025-10-25'],
  ['SAT', 'in drei Tagen', '2025-10-21'],
  ['SAT', 'in 3 Tagen um 15 Uhr', '2025-10-21T15:00+02:00'],
  ['SAT', 'am 3. November um halb drei', '2025-11-03T14:30+01:00'],
  ['SAT', 'am 3. März', '2026-03-03'],
  ['SAT', '03.03.', '2026-03-03'],
  ['SAT', '3.11.', '2025-11-03'],
  ['SAT', '24.12.2025 um 10:00', '2025-12-24T10:00+01:00'],
  ['SAT', 'am 25.', '2025-10-25'],
  ['SAT', 'am 5.', '2025-11-05'],
  ['SAT', 'morgen zwischen 10 und 12', '2025-10-19 10:00-12:00'],
  ['SAT', 'Montag zwischen 11 und 2', '2025-10-20 11:00-14:00'],
  ['SAT', 'Montag ab 15 Uhr', '2025-10-20 15:00-22:00'],
  ['SAT', 'Montag vor 11', '2025-10-20 07:00-11:00'],
  ['SAT', 'Montag viertel nach zehn', '2025-10-20T10:15+02:00'],
  ['SAT', 'Montag Viertel vor drei', '2025-10-20T14:45+02:00'],
  ['SAT', 'Montag dreiviertel drei', '2025-10-20T14:45+02:00'],
  ['SAT', 'Montag um vierzehn Uhr dreißig', '2025-10-20T14:30+02:00'],
  ['SAT', 'Montag um 14.30 Uhr', '2025-10-20T14:30+02:00'],
  ['SAT', 'Montag 14h30', '2025-10-20T14:30+02:00'],
  ['SAT', 'Montag 14 Uhr 30', '2025-10-20T14:30+02:00'],
  ['SAT', 'Montag um halb zehn', '2025-10-20T09:30+02:00'],
  ['SAT', 'Montag um 8 abends', '2025-10-20T20:00+02:00'],
  ['SAT', 'Montag um acht Uhr morgens', '2025-10-20T08:00+02:00'],
  ['SAT', 'Montag um sechzehn Uhr', '2025-10-20T16:00+02:00'],
  ['SAT', 'Montag um neun', '2025-10-20T09:00+02:00'],
  ['SAT', 'heute um 12', '2025-10-18T12:00+02:00'],
  ['SAT', 'heute um 9', '!time_passed_today 09:00'],
  ['SAT', 'heute Nachmittag', '2025-10-18 13:00-17:00'],
  ['SAT', 'heute Abend', '2025-10-18 17:00-21:00'],
  ['SAT', 'halb drei', '2025-10-18T14:30+02:00'],
  ['SAT', '14 Uhr', '2025-10-18T14:00+02:00'],
  ['SAT', '9 Uhr', '2025-10-19T09:00+02:00'],
  ['SAT', 'gegen 11', '2025-10-18T11:00+02:00~'],
  ['SAT', 'so gegen 12 Uhr', '2025-10-18T12:00+02:00~'],
  ['SAT', 'zwei Uhr', '2025-10-18T14:00+02:00'],
  ['SAT', 'um eins', '2025-10-18T13:00+02:00'],
  ['SAT', 'halb eins', '2025-10-18T12:30+02:00'],
  ['SAT', 'irgendwann', '!invalid_date'],
  ['SAT', '17.10.2025', '!date_in_past'],
  ['SAT', 'gestern', '!date_in_past'],
  ['SAT', '31.02.', '!invalid_date'],
  ['SAT', '{{current_date}}', '2025-10-18'],
  ['SAT', 'Montag, den 3. November', '2025-11-03'],
  ['SAT', 'Dienstag 21.10. um 16 Uhr', '2025-10-21T16:00+02:00'],
  ['SAT', '2025-10-21T14:30:00+02:00', '2025-10-21T14:30+02:00'],
  ['SAT', '2025-10-21T12:30:00Z', '2025-10-21T14:30+02:00'],
  ['SAT', '2025-10-21T12:30:00.000Z', '2025-10-21T14:30+02:00'],
  ['SAT', '2025-10-21 14:30', '2025-10-21T14:30+02:00'],
  ['SAT', '2025-10-21', '2025-10-21'],
  ['SAT', '2025-10-17T14:30:00+02:00', '!date_in_past'],
  ['SAT', '13 DEZEMBER', '2025-12-13'],
  ['SAT', '25. Januar', '2026-01-25'],
  ['SAT', 'Donnerstag nach der Mittagspause', '2025-10-23 13:00-17:00'],
  ['SAT', 'Donnerstag vor dem Mittagessen', '2025-10-23 09:00-12:00'],
  ['SAT', 'nächsten Mittwoch abends', '2025-10-22 17:00-21:00'],
  // ---- an ordinary Saturday, English ----
  ['SAT', 'today', '2025-10-18'],
  ['SAT', 'tomorrow', '2025-10-19'],
  ['SAT', 'the day after tomorrow', '2025-10-20'],
  ['SAT', 'tomorrow morning', '2025-10-19 08:00-12:00'],
  ['SAT', 'tomorrow at 2pm', '2025-10-19T14:00+02:00'],
  ['SAT', 'next Friday after lunch', '2025-10-24 13:00-17:00'],
  ['SAT', 'next Friday', '2025-10-24'],
  ['SAT', 'this Friday', '2025-10-24'],
  ['SAT', 'on Monday at 9am', '2025-10-20T09:00+02:00'],
  ['SAT', 'Monday at half past two', '2025-10-20T14:30+02:00'],
  ['SAT', 'Monday at quarter to ten', '2025-10-20T09:45+02:00'],
  ['SAT', 'Monday at quarter past ten', '2025-10-20T10:15+02:00'],
  ['SAT', 'next week', '2025-10-20..2025-10-26'],
  ['SAT', 'next week Wednesday', '2025-10-22'],
  ['SAT', 'in two weeks', '2025-11-01'],
  ['SAT', 'in a week', '2025-10-25'],
  ['SAT', 'in 3 days', '2025-10-21'],
  ['SAT', 'March 3rd', '2026-03-03'],
  ['SAT', 'on the 3rd of November at 11', '2025-11-03T11:00+01:00'],
  ['SAT', 'November 3rd at 2:30 pm', '2025-11-03T14:30+01:00'],
  ['SAT', 'Monday between 2 and 4 pm', '2025-10-20 14:00-16:00'],
  ['SAT', 'Monday after 3pm', '2025-10-20 15:00-22:00'],
  ['SAT', 'Monday before 11', '2025-10-20 07:00-11:00'],
  ['SAT', 'Monday afternoon', '2025-10-20 13:00-17:00'],
  ['SAT', 'Monday evening', '2025-10-20 17:00-21:00'],
  ['SAT', 'tonight', '2025-10-18 17:00-21:00'],
  ['SAT', 'today at noon', '2025-10-18T12:00+02:00'],
  ['SAT', 'Monday around 10', '2025-10-20T10:00+02:00~'],
  ['SAT', 'Monday at two thirty pm', '2025-10-20T14:30+02:00'],
  ['SAT', 'the day after tomorrow at 10 a.m.', '2025-10-20T10:00+02:00'],
  ['SAT', 'Friday 24th October at 9', '2025-10-24T09:00+02:00'],
  ['SAT', 'on the 25th', '2025-10-25'],
  ['SAT', 'yesterday', '!date_in_past'],
  // ---- Berlin around midnight: "morgen" is the Berlin calendar's next day, never UTC's ----
  ['LATE_SAT', 'morgen', '2025-10-19'],
  ['LATE_SAT', 'heute', '2025-10-18'],
  ['LATE_SAT', 'morgen um 10', '2025-10-19T10:00+02:00'],
  ['LATE_SAT', 'tomorrow', '2025-10-19'],
  ['LATE_SAT', 'übermorgen', '2025-10-20'],
  ['LATE_SAT', 'Sonntag', '2025-10-19'],
  ['AFTER_MIDNIGHT', 'morgen', '2025-10-20'],
  ['AFTER_MIDNIGHT', 'heute', '2025-10-19'],
  ['AFTER_MIDNIGHT', 'morgen um 9', '2025-10-20T09:00+02:00'],
  ['AFTER_MIDNIGHT', 'tomorrow', '2025-10-20'],
  ['AFTER_MIDNIGHT', 'nächsten Montag', '2025-10-20'],
  ['AFTER_MIDNIGHT', 'nächste Woche Montag', '2025-10-20'],
  ['AFTER_MIDNIGHT', '9 Uhr', '2025-10-19T09:00+02:00'],
  ['AFTER_MIDNIGHT', 'Sonntag', '2025-10-26'],
  // ---- month end ----
  ['MONTH_END', 'morgen', '2025-11-01'],
  ['MONTH_END', 'übermorgen', '2025-11-02'],
  ['MONTH_END', 'morgen um 10', '2025-11-01T10:00+01:00'],
  ['MONTH_END', 'nächsten Montag', '2025-11-03'],
  ['MONTH_END', 'am 1.', '2025-11-01'],
  ['MONTH_END', 'am 31.', '2025-10-31'],
  ['MONTH_END', '30.10.', '!date_in_past'],
  ['MONTH_END', 'heute um 17 Uhr', '2025-10-31T17:00+01:00'],
  ['MONTH_END', 'heute um 15 Uhr', '!time_passed_today 15:00'],
  ['MONTH_END', 'in zwei Tagen', '2025-11-02'],
  ['MONTH_END', 'this week', '2025-10-31..2025-11-02'],
  ['MONTH_END', 'nächste Woche', '2025-11-03..2025-11-09'],
  // ---- year end ----
  ['YEAR_END', 'morgen', '2026-01-01'],
  ['YEAR_END', 'übermorgen', '2026-01-02'],
  ['YEAR_END', 'nächsten Montag', '2026-01-05'],
  ['YEAR_END', 'nächste Woche Freitag', '2026-01-09'],
  ['YEAR_END', '2.1.', '2026-01-02'],
  ['YEAR_END', '3. Januar um 10', '2026-01-03T10:00+01:00'],
  ['YEAR_END', 'January 5th at 9:30', '2026-01-05T09:30+01:00'],
  ['YEAR_END', 'am 2.', '2026-01-02'],
  ['YEAR_END', 'tomorrow at 10', '2026-01-01T10:00+01:00'],
  ['YEAR_END', 'in einer Woche', '2026-01-07'],
  ['YEAR_END', 'heute abend', '2025-12-31 17:00-21:00'],
  ['YEAR_END', '30.12.', '!date_in_past'],
  ['YEAR_END', '31.12.2026', '2026-12-31'],
  // ---- spring forward (Sunday 29.03.2026, 02:00 → 03:00) ----
  ['SPRING', 'morgen um 10', '2026-03-29T10:00+02:00'],
  ['SPRING', 'morgen um 2:30', '2026-03-29T14:30+02:00'],
  ['SPRING', 'morgen um 02:30', '2026-03-29T03:30+02:00'], // does not exist: moved on by the gap
  ['SPRING', 'übermorgen um 9', '2026-03-30T09:00+02:00'],
  ['SPRING', 'heute um 14 Uhr', '2026-03-28T14:00+01:00'],
  ['SPRING', 'nächsten Montag um 14:30', '2026-03-30T14:30+02:00'],
  ['SPRING', 'tomorrow at 9am', '2026-03-29T09:00+02:00'],
  ['SPRING', 'in drei Tagen um 11', '2026-03-31T11:00+02:00'],
  ['SPRING', 'am 1. April um halb elf', '2026-04-01T10:30+02:00'],
  ['SPRING_NIGHT', 'heute um 10', '2026-03-29T10:00+02:00'],
  ['SPRING_NIGHT', 'morgen', '2026-03-30'],
  ['SPRING_NIGHT', 'heute um 3', '2026-03-29T15:00+02:00'],
  // ---- fall back (Sunday 25.10.2026, 03:00 → 02:00) ----
  ['AUTUMN', 'morgen um 10', '2026-10-25T10:00+01:00'],
  ['AUTUMN', 'morgen um 02:30', '2026-10-25T02:30+02:00'], // exists twice: the earlier one
  ['AUTUMN', 'übermorgen um 9', '2026-10-26T09:00+01:00'],
  ['AUTUMN', 'heute um 12:30', '2026-10-24T12:30+02:00'],
  ['AUTUMN', 'nächste Woche Sonntag', '2026-11-01'],
  ['AUTUMN', 'next Friday after lunch', '2026-10-30 13:00-17:00'],
  ['AUTUMN', 'Montag gegen halb drei', '2026-10-26T14:30+01:00~'],
  // ---- another zone: New York's calendar, not Berlin's or UTC's ----
  ['NEW_YORK', 'tomorrow', '2025-11-01'],
  ['NEW_YORK', 'morgen um 10', '2025-11-01T10:00-04:00'],
  ['NEW_YORK', 'Sunday at 10am', '2025-11-02T10:00-05:00'],
  ['NEW_YORK', 'today', '2025-10-31'],
  // ---- "halb drei" and "um 9": the opening hours decide, else a question ----
  ['MON', 'morgen um 9', '?ambiguous 09:00|21:00', WIDE],
  ['MON', 'morgen halb drei', '2025-10-21T14:30+02:00', WIDE],
  ['MON', 'morgen um 8 abends', '2025-10-21T20:00+02:00', WIDE],
  ['MON', 'morgen um 9', '2025-10-21T09:00+02:00', null],
  ['MON', 'morgen halb drei', '2025-10-21T02:30+02:00', NIGHT],
  ['MON', 'morgen um 21 Uhr', '2025-10-21T21:00+02:00', WIDE],
  ['MON', 'morgen um 09:00', '2025-10-21T09:00+02:00', WIDE],
  ['MON', 'halb drei', '2025-10-20T14:30+02:00', WIDE],
  ['MON', 'um 9', '2025-10-20T21:00+02:00', WIDE], // 09:00 is past, 21:00 still ahead and open
  ['MON', 'um 9', '2025-10-21T09:00+02:00', HOURS], // 21:00 closed: tomorrow morning
];

describe('understand: phrase → slot', () => {
  it('covers at least 150 phrases', () => expect(cases.length).toBeGreaterThanOrEqual(150));
  // A rest parameter: with a fourth named one jest would take rows without hours for `done`-style tests.
  it.each(cases)('%s: %s → %s', (...[now, phrase, expected, hours]: Case) => {
    const n = NOW[now];
    expect(show(understand(phrase, n, hours === undefined ? HOURS : hours), n.timeZone)).toBe(expected);
  });
});

describe('understand: separate date and time arguments, as the agent sends them', () => {
  it.each([
    [{ date: 'morgen', time: 'halb drei' }, '2025-10-19T14:30+02:00'],
    [{ date: 'nächsten Dienstag', time: 'gegen halb drei' }, '2025-10-21T14:30+02:00~'],
    [{ date: 'morgen', time: '14' }, '2025-10-19T14:00+02:00'],
    [{ date: '20.10.', time: '10.30' }, '2025-10-20T10:30+02:00'],
    [{ date: '10.11', time: '10.11' }, '2025-11-10T10:11+01:00'],
    [{ date: 'Montag', time: 'nachmittags' }, '2025-10-20 13:00-17:00'],
    [{ datetime: '2025-10-21T14:30:00+02:00' }, '2025-10-21T14:30+02:00'],
    [{ date: 'morgen', time: 'bald' }, '!invalid_time'],
    [{ date: '14 Uhr' }, '2025-10-18T14:00+02:00'],
    [{}, 'any'],
  ])('%j → %s', (input, expected) => {
    expect(show(understand(input, NOW.SAT, HOURS), BERLIN)).toBe(expected);
  });
});

describe('spoken clock times', () => {
  it.each([
    [14, 30, 'de', 'halb drei'],
    [14, 15, 'de', 'viertel nach zwei'],
    [14, 45, 'de', 'viertel vor drei'],
    [14, 0, 'de', 'vierzehn Uhr'],
    [12, 30, 'de', 'halb eins'],
    [23, 30, 'de', 'halb zwölf'],
    [11, 45, 'de', 'viertel vor zwölf'],
    [9, 0, 'de', 'neun Uhr'],
    [13, 0, 'de', 'dreizehn Uhr'],
    [14, 10, 'de', '14:10 Uhr'],
    [14, 30, 'en', 'half past two'],
    [14, 45, 'en', 'quarter to three'],
    [9, 15, 'en', 'quarter past nine'],
    [12, 0, 'en', "twelve o'clock"],
    [14, 10, 'en', '2:10 pm'],
  ] as const)('%i:%i (%s) → %s', (hour, minute, lang, expected) => {
    expect(spokenClock({ hour, minute }, lang)).toBe(expected);
  });

  // What the agent says, the parser reads back to the same time (opening hours 07-19 settle the half of the day).
  const quarterHours = Array.from({ length: 12 * 4 }, (_, i) => ({ hour: 7 + Math.floor(i / 4), minute: (i % 4) * 15 }));
  it.each(quarterHours)('reads back "%j" said in German and English', (t) => {
    const hours = weekdays('07:00', '19:00');
    for (const lang of ['de', 'en'] as const) {
      const said = `${lang === 'de' ? 'Montag um' : 'Monday at'} ${spokenClock(t, lang)}`;
      expect(show(understand(said, NOW.SAT, hours), BERLIN)).toBe(`2025-10-20T${hm(t.hour * 60 + t.minute)}+02:00`);
    }
  });
});
