import { parseWhen, mergeWhen, ParsedWhen } from './parse';
import { joinAlternatives, joinAll, spokenDate, spokenDateTime, spokenTime } from './spoken';
import { addDays, isoInZone, toInstant, weekdayOf, zonedNow, zonedParts } from './zone';

const TZ = 'Europe/Berlin';
/** Sat 18.10.2025 10:00 in Berlin (the seed's reference "now"). */
const SAT = zonedNow(TZ, new Date('2025-10-18T08:00:00Z'));
const at = (iso: string) => zonedNow(TZ, new Date(iso));
const day = (p: ParsedWhen) => (p.date?.kind === 'day' ? `${p.date.date.year}-${p.date.date.month}-${p.date.date.day}` : p.date);

describe('zone arithmetic', () => {
  it('converts wall-clock time to instants across daylight-saving changes', () => {
    expect(toInstant({ year: 2025, month: 11, day: 3, hour: 14, minute: 30 }, TZ).toISOString()).toBe('2025-11-03T13:30:00.000Z');
    expect(toInstant({ year: 2025, month: 7, day: 3, hour: 14, minute: 30 }, TZ).toISOString()).toBe('2025-07-03T12:30:00.000Z');
    // Spring gap (02:30 does not exist on 30.03.2025) moves forward; autumn overlap takes the earlier instant.
    expect(toInstant({ year: 2025, month: 3, day: 30, hour: 2, minute: 30 }, TZ).toISOString()).toBe('2025-03-30T01:30:00.000Z');
    expect(toInstant({ year: 2025, month: 10, day: 26, hour: 2, minute: 30 }, TZ).toISOString()).toBe('2025-10-26T00:30:00.000Z');
    expect(toInstant({ year: 2025, month: 11, day: 3, hour: 9, minute: 0 }, 'America/New_York').toISOString()).toBe('2025-11-03T14:00:00.000Z');
  });

  it('formats ISO with the zone offset and reads local parts', () => {
    expect(isoInZone(new Date('2025-11-03T13:30:00Z'), TZ)).toBe('2025-11-03T14:30:00+01:00');
    expect(isoInZone(new Date('2025-07-03T12:30:00Z'), TZ)).toBe('2025-07-03T14:30:00+02:00');
    expect(zonedParts(new Date('2025-12-31T23:30:00Z'), TZ)).toMatchObject({ year: 2026, month: 1, day: 1, hour: 0, minute: 30 });
    expect(weekdayOf({ year: 2025, month: 10, day: 18 })).toBe(6);
    expect(addDays({ year: 2025, month: 12, day: 31 }, 1)).toEqual({ year: 2026, month: 1, day: 1 });
  });

  it('knows "now" in the company zone, not the server zone', () => {
    const late = zonedNow(TZ, new Date('2025-10-18T22:30:00Z'));
    expect(late.local).toMatchObject({ year: 2025, month: 10, day: 19, hour: 0, minute: 30 });
    expect(late.weekday).toBe(0);
  });
});

describe('parseWhen: dates', () => {
  it.each([
    ['heute', '2025-10-18'],
    ['morgen', '2025-10-19'],
    ['übermorgen', '2025-10-20'],
    ['uebermorgen', '2025-10-20'],
    ['today', '2025-10-18'],
    ['tomorrow', '2025-10-19'],
    ['the day after tomorrow', '2025-10-20'],
    ['{{current_date}}', '2025-10-18'],
    ['montag', '2025-10-20'],
    ['Samstag', '2025-10-25'], // bare weekday: strictly after today
    ['nächsten Dienstag', '2025-10-21'],
    ['naechster Dienstag', '2025-10-21'],
    ['next monday', '2025-10-20'],
    ['nächste Woche Mittwoch', '2025-10-22'],
    ['Mittwoch nächste Woche', '2025-10-22'],
    ['nächste Woche Sonntag', '2025-10-26'],
    ['next week friday', '2025-10-24'],
    ['am Samstag', '2025-10-18'], // this week's, today counts
    ['03.11.2025', '2025-11-3'],
    ['3.11.25', '2025-11-3'],
    ['2025-11-03', '2025-11-3'],
    ['15.10.', '2026-10-15'], // more than two days past → next year
    ['17.10.', '2025-10-17'], // within the two-day tolerance: kept, so "in the past" can be said
    ['20.12', '2025-12-20'],
    ['7. November', '2025-11-7'],
    ['13 DEZEMBER', '2025-12-13'],
    ['25. Januar', '2026-1-25'],
    ['Montag, den 3. November', '2025-11-3'],
    ['3rd of November', '2025-11-3'],
    ['November 3rd', '2025-11-3'],
    ['in 3 Tagen', '2025-10-21'],
  ])('%s → %s', (text, expected) => {
    expect(day(parseWhen(text, SAT))).toBe(expected.replace(/-0/g, '-'));
  });

  it('reads "nächster Dienstag" relative to the day it is said', () => {
    expect(day(parseWhen('nächster Dienstag', at('2025-10-20T08:00:00Z')))).toBe('2025-10-21'); // Monday
    expect(day(parseWhen('nächster Dienstag', at('2025-10-21T08:00:00Z')))).toBe('2025-10-28'); // Tuesday
    expect(day(parseWhen('nächste Woche Montag', at('2025-10-17T08:00:00Z')))).toBe('2025-10-20'); // Friday
    expect(day(parseWhen('nächste Woche Mittwoch', at('2025-10-15T08:00:00Z')))).toBe('2025-10-22');
  });

  it('reads weeks as ranges, never days already past', () => {
    expect(parseWhen('nächste Woche', SAT).date).toEqual({ kind: 'range', from: { year: 2025, month: 10, day: 20 }, to: { year: 2025, month: 10, day: 26 }, label: 'next_week' });
    expect(parseWhen('diese Woche', SAT).date).toEqual({ kind: 'range', from: { year: 2025, month: 10, day: 18 }, to: { year: 2025, month: 10, day: 19 }, label: 'this_week' });
    expect(parseWhen('this week', at('2025-10-15T08:00:00Z')).date).toMatchObject({ from: { day: 15 }, to: { day: 19 } });
  });

  it('does not guess when a word after "nächste Woche" is not understood', () => {
    expect(parseWhen('nächste Woche Xyz', SAT).date).toBeNull();
    expect(parseWhen('next week blorp', SAT).date).toBeNull();
    // Times of day, fillers and times after it are fine.
    expect(parseWhen('nächste Woche vormittags', SAT).date).toMatchObject({ kind: 'range', label: 'next_week' });
    expect(parseWhen('nächste Woche um 14 Uhr', SAT).date).toMatchObject({ kind: 'range', label: 'next_week' });
    expect(parseWhen('nächste Woche irgendwann', SAT).date).toMatchObject({ kind: 'range' });
  });

  it('rejects impossible dates instead of guessing', () => {
    expect(parseWhen('31.02.2026', SAT).date).toBeNull();
    expect(parseWhen('2026-13-01', SAT).date).toBeNull();
    expect(parseWhen('irgendwann', SAT)).toEqual({ date: null, time: null });
    expect(parseWhen(undefined, SAT)).toEqual({ date: null, time: null });
  });

  it('reads ISO date-times with an offset on the company wall clock', () => {
    const p = parseWhen('2025-11-03T13:30:00Z', SAT);
    expect(day(p)).toBe('2025-11-3');
    expect(p.time).toMatchObject({ kind: 'time', hour: 14, minute: 30 });
    expect(parseWhen('2025-11-03T14:30:00+01:00', SAT).time).toMatchObject({ kind: 'time', hour: 14, minute: 30 });
    expect(parseWhen('2025-11-03 09:15', SAT).time).toMatchObject({ kind: 'time', hour: 9, minute: 15 });
  });
});

describe('parseWhen: times', () => {
  const time = (text: string, prefer: 'date' | 'time' = 'time') => parseWhen(text, SAT, prefer).time;
  it.each([
    ['14:30', 14, 30],
    ['14:30 Uhr', 14, 30],
    ['14 Uhr', 14, 0],
    ['14.30 Uhr', 14, 30],
    ['14.30', 14, 30],
    ['um 15:30', 15, 30],
    ['17 uhr', 17, 0],
    ['14 Uhr 30', 14, 30],
    ['14h30', 14, 30],
    ['halb drei', 14, 30],
    ['halb 10', 9, 30],
    ['viertel nach drei', 15, 15],
    ['viertel vor drei', 14, 45],
    ['vierzehn uhr dreißig', 14, 30],
    ['sechzehn Uhr', 16, 0],
    ['zwei Uhr', 14, 0],
    ['2pm', 14, 0],
    ['2:30 pm', 14, 30],
    ['10 a.m.', 10, 0],
    ['half past two', 14, 30],
    ['quarter to ten', 9, 45],
    ['9', 9, 0],
    ['um 11', 11, 0],
    ['09:00', 9, 0],
  ])('%s → %i:%i', (text, hour, minute) => {
    expect(time(text)).toMatchObject({ kind: 'time', hour, minute });
  });

  it.each([
    ['vormittags', 9 * 60, 12 * 60],
    ['am Vormittag', 9 * 60, 12 * 60],
    ['nachmittags', 13 * 60, 17 * 60],
    ['am Nachmittag', 13 * 60, 17 * 60],
    ['morning', 8 * 60, 12 * 60],
    ['in the afternoon', 13 * 60, 17 * 60],
    ['abends', 17 * 60, 21 * 60],
    ['zwischen 10 und 12', 10 * 60, 12 * 60],
    ['between 2 and 4 pm', 14 * 60, 16 * 60],
    ['ab 15 Uhr', 15 * 60, 22 * 60],
    ['before 11', 7 * 60, 11 * 60],
  ])('%s → period', (text, from, to) => {
    expect(time(text)).toMatchObject({ kind: 'period', from, to });
  });

  it('takes date and time from one utterance, "morgen" always being a date', () => {
    expect(day(parseWhen('morgen um 14 Uhr', SAT))).toBe('2025-10-19');
    expect(parseWhen('morgen um 14 Uhr', SAT).time).toMatchObject({ kind: 'time', hour: 14, minute: 0 });
    const early = parseWhen('morgen früh', SAT);
    expect(day(early)).toBe('2025-10-19');
    expect(early.time).toMatchObject({ kind: 'period', label: 'early' });
    expect(parseWhen('am Morgen', SAT)).toMatchObject({ date: null, time: { kind: 'period', label: 'morning' } });
    expect(day(parseWhen('Montag nachmittag', SAT))).toBe('2025-10-20');
    expect(parseWhen('Montag nachmittag', SAT).time).toMatchObject({ label: 'afternoon' });
    expect(parseWhen('3. November um halb drei', SAT).time).toMatchObject({ kind: 'time', hour: 14, minute: 30 });
    // A date's digits are not read again as a time; German "am" is not a.m.
    expect(parseWhen('03.11.2025', SAT).time).toBeNull();
    expect(parseWhen('um 2 am Montag', SAT).time).toMatchObject({ kind: 'time', hour: 14, minute: 0 });
    expect(parseWhen('next monday at 2:30pm', SAT).time).toMatchObject({ kind: 'time', hour: 14, minute: 30 });
  });

  it('reads bare "10.11" as a date where a date is expected and as a time where a time is', () => {
    expect(day(parseWhen('10.11', SAT, 'date'))).toBe('2025-11-10');
    expect(parseWhen('10.11', SAT, 'time')).toMatchObject({ date: null, time: { kind: 'time', hour: 10, minute: 11 } });
  });

  it('rejects impossible times', () => {
    expect(time('25:00')).toBeNull();
    expect(time('14:75')).toBeNull();
    expect(time('13 pm')).toBeNull();
  });

  it('merges what several arguments said', () => {
    const merged = mergeWhen(parseWhen('morgen', SAT), parseWhen('14:30', SAT, 'time'));
    expect(day(merged)).toBe('2025-10-19');
    expect(merged.time).toMatchObject({ kind: 'time', hour: 14, minute: 30 });
  });
});

describe('spoken formatting', () => {
  const nov3 = { year: 2025, month: 11, day: 3 };
  it('says dates and times as the agent speaks them', () => {
    expect(spokenDate(nov3, 'de')).toBe('Montag, den 3. November');
    expect(spokenDate(nov3, 'en')).toBe('Monday, 3 November');
    expect(spokenDate(nov3, 'de', 2024)).toBe('Montag, den 3. November 2025');
    expect(spokenTime({ hour: 14, minute: 30 }, 'de')).toBe('14:30 Uhr');
    expect(spokenTime({ hour: 9, minute: 0 }, 'de')).toBe('9:00 Uhr');
    expect(spokenTime({ hour: 14, minute: 30 }, 'en')).toBe('2:30 pm');
    expect(spokenTime({ hour: 12, minute: 0 }, 'en')).toBe('12 pm');
    expect(spokenTime({ hour: 0, minute: 15 }, 'en')).toBe('12:15 am');
    const instant = new Date('2025-11-03T13:30:00Z');
    expect(spokenDateTime(instant, TZ, 'de', 2025)).toBe('Montag, den 3. November um 14:30 Uhr');
    expect(spokenDateTime(instant, TZ, 'en', 2025)).toBe('Monday, 3 November at 2:30 pm');
    expect(spokenDateTime(instant, 'America/New_York', 'en', 2025)).toBe('Monday, 3 November at 8:30 am');
  });

  it('joins alternatives with "oder", lists with "und"', () => {
    expect(joinAlternatives(['14:00 Uhr', '15:00 Uhr', '16:00 Uhr'], 'de')).toBe('14:00 Uhr, 15:00 Uhr oder 16:00 Uhr');
    expect(joinAlternatives(['2 pm', '3 pm'], 'en')).toBe('2 pm or 3 pm');
    expect(joinAll(['A', 'B'], 'de')).toBe('A und B');
    expect(joinAlternatives(['A'], 'de')).toBe('A');
  });
});
