import { isTimeZone as isValidTimeZone, toInstant } from '@receptionist/dates';
import { afterQuietHours, inQuietHours } from './zoned-time';

/** The wall-clock cases quiet hours rely on, through libs/dates. */
const zonedInstant = (timeZone: string, year: number, month: number, day: number, hour: number, minute: number) => toInstant({ year, month, day, hour, minute }, timeZone);

describe('zoned time', () => {
  it('finds the instant of a Berlin wall-clock time in winter and summer', () => {
    expect(zonedInstant('Europe/Berlin', 2025, 1, 15, 8, 0).toISOString()).toBe('2025-01-15T07:00:00.000Z');
    expect(zonedInstant('Europe/Berlin', 2025, 7, 15, 8, 0).toISOString()).toBe('2025-07-15T06:00:00.000Z');
  });

  it('resolves a time skipped by the spring-forward jump to after the jump, a repeated one to its first occurrence', () => {
    // 2025-03-30 02:30 does not exist in Berlin (02:00 → 03:00).
    expect(zonedInstant('Europe/Berlin', 2025, 3, 30, 2, 30).toISOString()).toBe('2025-03-30T01:30:00.000Z');
    // 2025-10-26 02:30 happens twice; the first is CEST (00:30Z).
    expect(zonedInstant('Europe/Berlin', 2025, 10, 26, 2, 30).toISOString()).toBe('2025-10-26T00:30:00.000Z');
  });

  it('knows quiet hours that wrap midnight, in the company zone', () => {
    const quiet = ['21:00', '08:00'] as const;
    expect(inQuietHours(new Date('2025-01-15T20:30:00Z'), quiet, 'Europe/Berlin')).toBe(true); // 21:30 Berlin
    expect(inQuietHours(new Date('2025-01-15T19:59:00Z'), quiet, 'Europe/Berlin')).toBe(false); // 20:59
    expect(inQuietHours(new Date('2025-01-16T06:59:00Z'), quiet, 'Europe/Berlin')).toBe(true); // 07:59
    expect(inQuietHours(new Date('2025-01-16T07:00:00Z'), quiet, 'Europe/Berlin')).toBe(false); // 08:00
    expect(inQuietHours(new Date('2025-01-16T03:00:00Z'), null, 'Europe/Berlin')).toBe(false);
    expect(inQuietHours(new Date('2025-01-16T03:00:00Z'), ['08:00', '08:00'], 'Europe/Berlin')).toBe(false);
  });

  it('defers to the end of quiet hours: the next morning before midnight, the same morning after it', () => {
    const quiet = ['21:00', '08:00'] as const;
    expect(afterQuietHours(new Date('2025-01-15T21:30:00Z'), quiet, 'Europe/Berlin').toISOString()).toBe('2025-01-16T07:00:00.000Z');
    expect(afterQuietHours(new Date('2025-01-16T02:00:00Z'), quiet, 'Europe/Berlin').toISOString()).toBe('2025-01-16T07:00:00.000Z');
    const outside = new Date('2025-01-16T12:00:00Z');
    expect(afterQuietHours(outside, quiet, 'Europe/Berlin')).toBe(outside);
    // Same-day window (lunch break 12:00–13:30).
    expect(afterQuietHours(new Date('2025-07-15T10:15:00Z'), ['12:00', '13:30'], 'Europe/Berlin').toISOString()).toBe('2025-07-15T11:30:00.000Z');
  });

  it('defers across the night the clocks go back to the right instant', () => {
    // 2025-10-25 22:00 CEST → quiet until 08:00 CET on the 26th (07:00Z).
    expect(afterQuietHours(new Date('2025-10-25T20:00:00Z'), ['21:00', '08:00'], 'Europe/Berlin').toISOString()).toBe('2025-10-26T07:00:00.000Z');
  });

  it('tells known zones from unknown ones', () => {
    expect(isValidTimeZone('America/New_York')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});
