import { formatInZone, localDate, localToInstant } from '../common/zoned-time';
import { checkStart, withinOpeningHours } from './booking-rules';

const TZ = 'Europe/Berlin';
const company = {
  timeZone: TZ,
  openingHours: { mon: [['09:00', '12:00'], ['13:00', '17:00']] as [string, string][], sat: [['09:00', '13:00']] as [string, string][] },
  policies: { minNoticeMinutes: 60, cancellationNoticeHours: 24, maxReschedules: 2, bookingHorizonDays: 30 },
};

describe('zoned time', () => {
  it('converts local wall-clock times across both DST changes', () => {
    expect(new Date(localToInstant('2030-03-31', 10 * 60, TZ)).toISOString()).toBe('2030-03-31T08:00:00.000Z'); // CEST
    expect(new Date(localToInstant('2030-03-30', 10 * 60, TZ)).toISOString()).toBe('2030-03-30T09:00:00.000Z'); // CET
    expect(new Date(localToInstant('2030-10-27', 10 * 60, TZ)).toISOString()).toBe('2030-10-27T09:00:00.000Z'); // back to CET
    expect(formatInZone(Date.parse('2030-07-01T07:30:00Z'), TZ)).toBe('2030-07-01T09:30:00.000+02:00');
    expect(localDate(Date.parse('2030-07-01T22:30:00Z'), TZ)).toBe('2030-07-02');
  });
});

describe('booking rules', () => {
  const monday = (hhmm: string) => localToInstant('2030-07-01', Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3)), TZ);
  const now = monday('07:00') - 7 * 86_400_000;

  it('needs the whole appointment inside one opening interval of its local weekday', () => {
    expect(withinOpeningHours(company.openingHours, monday('09:00'), 30, TZ)).toBe(true);
    expect(withinOpeningHours(company.openingHours, monday('11:30'), 30, TZ)).toBe(true);
    expect(withinOpeningHours(company.openingHours, monday('11:45'), 30, TZ)).toBe(false); // runs into lunch
    expect(withinOpeningHours(company.openingHours, monday('08:30'), 30, TZ)).toBe(false);
    expect(withinOpeningHours(company.openingHours, localToInstant('2030-07-02', 10 * 60, TZ), 30, TZ)).toBe(false); // Tuesday: closed
    expect(withinOpeningHours({}, monday('03:00'), 30, TZ)).toBe(true); // no hours configured: not restricted
  });

  it('refuses past, short-notice, too-far and closed starts with their codes, in that order', () => {
    const code = (startMs: number, at = now) => {
      try {
        checkStart({ company, durationMinutes: 30, startMs, now: at });
        return 'ok';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(code(monday('10:00'))).toBe('ok');
    expect(code(monday('10:00'), monday('10:00') + 1)).toBe('in_the_past');
    expect(code(monday('10:00'), monday('09:30'))).toBe('too_short_notice');
    expect(code(monday('10:00') + 40 * 86_400_000)).toBe('beyond_horizon');
    expect(code(monday('18:00'))).toBe('outside_opening_hours');
  });
});
