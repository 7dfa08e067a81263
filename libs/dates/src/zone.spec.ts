import { offsetMinutes, zonedParts } from './zone';

/** What Intl says, asked directly every time (the cached offsets must always agree with it). */
const intl = new Map<string, Intl.DateTimeFormat>();
function intlParts(instant: Date, timeZone: string) {
  if (!intl.has(timeZone)) intl.set(timeZone, new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }));
  const f = intl.get(timeZone)!;
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(instant)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { year: p.year, month: p.month, day: p.day, hour: p.hour % 24, minute: p.minute, second: p.second };
}

describe('zone offsets (cached per quarter hour)', () => {
  // Whole-hour, half-hour and 45-minute offsets, a 30-minute DST shift (Lord Howe) and both hemispheres.
  const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham', 'America/Sao_Paulo', 'UTC'];
  // Every minute of the days around 2026's transitions, then random instants over two years.
  const around = ['2026-03-08', '2026-03-29', '2026-04-05', '2026-10-04', '2026-10-25', '2026-11-01', '2026-09-27'].flatMap((d) => {
    const start = Date.parse(`${d}T00:00:00Z`) - 86_400_000;
    return Array.from({ length: 3 * 1440 }, (_, i) => start + i * 60_000 + 17_000);
  });
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const spread = Array.from({ length: 3000 }, () => Date.parse('2025-06-01T00:00:00Z') + Math.floor(random() * 730 * 86_400_000));

  it.each(zones)('agrees with Intl at every minute around the transitions and at random instants: %s', (zone) => {
    const wrong: string[] = [];
    for (const ms of [...around, ...spread, ...around]) {
      const instant = new Date(ms);
      const got = zonedParts(instant, zone);
      const want = intlParts(instant, zone);
      if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${instant.toISOString()}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('knows the offsets on both sides of a transition', () => {
    expect(offsetMinutes(new Date('2026-03-29T00:59:00Z'), 'Europe/Berlin')).toBe(60);
    expect(offsetMinutes(new Date('2026-03-29T01:00:00Z'), 'Europe/Berlin')).toBe(120);
    // Lord Howe moves by half an hour, at 02:00 local standard time (+10:30) on the first Sunday of October.
    expect(offsetMinutes(new Date('2026-10-03T15:29:00Z'), 'Australia/Lord_Howe')).toBe(630);
    expect(offsetMinutes(new Date('2026-10-03T15:30:00Z'), 'Australia/Lord_Howe')).toBe(660);
  });
});
