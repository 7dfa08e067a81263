import { checkStart } from '../availability/booking-rules';
import { decideCancel, decideReschedule, effectivePolicies } from './policy';

const H = 3_600_000;
const M = 60_000;
const company = { minNoticeMinutes: 60, cancellationNoticeHours: 24, maxReschedules: 2, bookingHorizonDays: 30 };
const start = Date.parse('2030-07-01T10:00:00Z');

describe('effective policies', () => {
  it('takes the service over the company where it says so', () => {
    expect(effectivePolicies(company)).toEqual({ ...company, rescheduleNoticeHours: 24 });
    expect(effectivePolicies({ ...company, rescheduleNoticeHours: 12 })).toMatchObject({ cancellationNoticeHours: 24, rescheduleNoticeHours: 12 });
    expect(effectivePolicies(company, { cancellationNoticeHours: 48 })).toMatchObject({ cancellationNoticeHours: 48, rescheduleNoticeHours: 48, minNoticeMinutes: 60 });
    expect(effectivePolicies(company, { minNoticeMinutes: 240, maxReschedules: 0 })).toMatchObject({ minNoticeMinutes: 240, maxReschedules: 0, cancellationNoticeHours: 24 });
    expect(effectivePolicies(company, null)).toEqual(effectivePolicies(company));
  });
});

describe('cancellation notice, at the exact boundary', () => {
  const p = effectivePolicies(company);
  it.each([
    ['a day and a minute before', start - 24 * H - M, true],
    ['exactly 24 hours before', start - 24 * H, true],
    ['24 hours minus one minute before', start - 24 * H + M, false],
    ['an hour before', start - H, false],
    ['at the start', start, false],
  ])('%s → allowed %s', (_label, now, allowed) => {
    expect(decideCancel(p, start, now).allowed).toBe(allowed);
  });
  it('says which rule refused and how much notice was left', () => {
    expect(decideCancel(p, start, start - 12 * H)).toMatchObject({ allowed: false, rule: 'cancellation_notice', data: { noticeHours: 24, hoursLeft: 12 } });
    expect(decideCancel(p, start, start + M)).toMatchObject({ allowed: false, rule: 'started' });
  });
});

describe('reschedule notice and limit, at the exact boundary', () => {
  const p = effectivePolicies({ ...company, rescheduleNoticeHours: 12 });
  it.each([
    ['exactly 12 hours before', start - 12 * H, 0, true],
    ['12 hours minus a minute before', start - 12 * H + M, 0, false],
    ['moved once of two', start - 48 * H, 1, true],
    ['moved twice of two', start - 48 * H, 2, false],
  ])('%s → allowed %s', (_label, now, count, allowed) => {
    expect(decideReschedule(p, start, now, count).allowed).toBe(allowed);
  });
  it('names the limit', () => {
    expect(decideReschedule(p, start, start - 48 * H, 2)).toMatchObject({ rule: 'max_reschedules', data: { maxReschedules: 2, rescheduledCount: 2 } });
  });
});

describe('minimum notice to book, at the exact boundary', () => {
  const c = { timeZone: 'Europe/Berlin', openingHours: {}, policies: company };
  const code = (now: number, servicePolicies?: { minNoticeMinutes: number }) => {
    try {
      checkStart({ company: c, servicePolicies, durationMinutes: 30, startMs: start, now });
      return 'ok';
    } catch (e) {
      return (e as { code: string }).code;
    }
  };
  it.each([
    [start - 61 * M, 'ok'],
    [start - 60 * M, 'ok'],
    [start - 59 * M, 'too_short_notice'],
    [start - 30 * 24 * H, 'ok'],
    [start - 30 * 24 * H - M, 'beyond_horizon'],
  ])('now = start - %#', (now, expected) => expect(code(now)).toBe(expected));
  it("uses the service's own notice", () => {
    expect(code(start - 2 * H, { minNoticeMinutes: 180 })).toBe('too_short_notice');
    expect(code(start - 3 * H, { minNoticeMinutes: 180 })).toBe('ok');
  });
});
