import { addDays, formatInZone, localDate, localMinutes, localToInstant, weekdayOf, zonedParts } from './zoned-time';

const BERLIN = 'Europe/Berlin';

describe("booking's zone shapes over libs/dates", () => {
  it('turns a Berlin wall time into the instant, summer and winter', () => {
    expect(new Date(localToInstant('2026-07-01', 9 * 60, BERLIN)).toISOString()).toBe('2026-07-01T07:00:00.000Z');
    expect(new Date(localToInstant('2026-12-01', 9 * 60, BERLIN)).toISOString()).toBe('2026-12-01T08:00:00.000Z');
  });

  it('moves a time in the spring gap forward and takes the earlier of the autumn overlap', () => {
    // 29 March 2026: 02:00 → 03:00 in Berlin, so 02:30 does not exist.
    expect(formatInZone(localToInstant('2026-03-29', 150, BERLIN), BERLIN)).toBe('2026-03-29T03:30:00.000+02:00');
    // 25 October 2026: 02:30 happens twice; the first (still summer time) wins.
    expect(formatInZone(localToInstant('2026-10-25', 150, BERLIN), BERLIN)).toBe('2026-10-25T02:30:00.000+02:00');
  });

  it('reads 24:00 as midnight at the end of that day', () => {
    expect(formatInZone(localToInstant('2026-11-24', 24 * 60, BERLIN), BERLIN)).toBe('2026-11-25T00:00:00.000+01:00');
  });

  it('gives the local date, minutes and weekday of an instant near midnight', () => {
    const instant = Date.parse('2026-11-24T23:30:00Z'); // 00:30 on the 25th in Berlin
    expect(localDate(instant, BERLIN)).toBe('2026-11-25');
    expect(localMinutes(instant, BERLIN)).toBe(30);
    expect(zonedParts(instant, BERLIN)).toMatchObject({ day: 25, hour: 0, minute: 30, weekday: 'wed' });
    expect(weekdayOf('2026-11-25')).toBe('wed');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
  });
});
