import { Injectable } from '@nestjs/common';
import { LocalDate, OpeningHours, addDays, fold, germanDate, hhmm, isoDate, isoInZone, spokenTime, weekdayName, weekdayOf } from '@receptionist/dates';
import { Catalogue } from '../booking/booking-data';
import { CatalogueCache } from '../booking/catalogue';
import { BookingDesk } from './booking-desk';
import { callerPhrases, spokenHours, spokenPrice } from './caller-phrases';
import { publicHoliday } from './handoff';
import { CallContext, VoiceFunctionReply, fail, ok } from './context';

const DAY_KEYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/**
 * The seed's information functions: parse_date (what the agent heard → a date and time in the company's zone, or
 * the question to ask), get_opening_hours (the call's branch, today and the coming week, public holidays) and
 * get_service_info (duration, price, what it includes, who does it).
 */
@Injectable()
export class CallerInfoHandler {
  constructor(
    private readonly desk: BookingDesk,
    private readonly catalogues: CatalogueCache,
  ) {}

  async parseDate(ctx: CallContext): Promise<VoiceFunctionReply> {
    const { date, time, datetime } = ctx.args;
    if (!date && !time && !datetime) return fail('missing_fields', callerPhrases.askDate(ctx), { missing: ['date'] });
    const catalogue = await this.catalogues.get(ctx.company.id, ctx.deadline).catch(() => null);
    const { parsed, said } = this.desk.when(ctx, date, time, datetime);
    if (parsed.date?.kind === 'range' && !parsed.time) {
      return ok(callerPhrases.whichDayOfWeek(ctx, parsed.date.label), { range: { from: isoDate(parsed.date.from), to: isoDate(parsed.date.to) } }, 'needs_day');
    }
    // Unknown words, a past date, "halb drei" at a company open at both readings: the question to ask (BookingDesk.wish).
    const wish = this.desk.wish(ctx, parsed, said, catalogue);
    if (wish.kind === 'any') return fail('invalid_date', callerPhrases.askDate(ctx));
    if (wish.kind === 'window' && wish.days.length > 1) {
      return ok(callerPhrases.askDate(ctx), { range: { from: isoDate(wish.days[0]), to: isoDate(wish.days[wish.days.length - 1]) } }, 'needs_day');
    }
    const day = wish.kind === 'exact' ? wish.date : wish.days[0];
    const clock = wish.kind === 'exact' ? { hour: Math.floor(wish.minuteOfDay / 60), minute: wish.minuteOfDay % 60 } : null;
    return ok(callerPhrases.parsedDate(ctx, day, clock ? spokenTime(clock, ctx.lang) : null), {
      date: isoDate(day),
      displayDate: germanDate(day),
      dayName: weekdayName(day, ctx.lang),
      ...(clock ? { time: hhmm(clock) } : {}),
      ...(wish.kind === 'exact' ? { datetime: isoInZone(wish.start, ctx.company.timeZone) } : {}),
      timeZone: ctx.company.timeZone,
    });
  }

  async openingHours(ctx: CallContext): Promise<VoiceFunctionReply> {
    const catalogue = await this.catalogues.get(ctx.company.id, ctx.deadline).catch(() => null);
    const branch = this.branchOf(ctx, catalogue);
    const hours = (branch?.openingHours ?? catalogue?.openingHours) as OpeningHours | undefined;
    if (!hours || !Object.values(hours).some((r) => r?.length)) return ok(callerPhrases.noHours(ctx), { known: false }, 'hours_unknown');
    const today: LocalDate = { year: ctx.now.local.year, month: ctx.now.local.month, day: ctx.now.local.day };
    const dayView = (date: LocalDate) => {
      const holiday = publicHoliday(ctx.company.timeZone, ctx.lang, date);
      const ranges = holiday ? [] : ((hours[DAY_KEYS[weekdayOf(date)]] ?? []) as [string, string][]);
      return { date: isoDate(date), weekday: weekdayName(date, ctx.lang), open: ranges.length > 0, hours: ranges, holiday };
    };
    const say = (d: ReturnType<typeof dayView>, name: string) =>
      d.holiday ? callerPhrases.holidayOn(ctx, name, d.holiday) : d.open ? callerPhrases.openOn(ctx, name, spokenHours(ctx, d.hours)) : callerPhrases.closedOn(ctx, name);
    const data = { branch: branch ? { branchId: branch.branchId, key: branch.key } : null, timeZone: ctx.company.timeZone };

    // A day asked about ("Haben Sie am Samstag offen?").
    if (ctx.args.date || ctx.args.datetime) {
      const { parsed, said } = this.desk.when(ctx, ctx.args.date, undefined, ctx.args.datetime);
      const wish = this.desk.wish(ctx, { date: parsed.date, time: null }, { ...said, time: false }, catalogue);
      if (wish.kind === 'window' && wish.days.length === 1) {
        const d = dayView(wish.days[0]);
        const name = ctx.lang === 'de' ? `Am ${d.weekday}, den ${wish.days[0].day}.${wish.days[0].month}.,` : `On ${d.weekday}, ${germanDate(wish.days[0])},`;
        return ok(`${say(d, name)} ${callerPhrases.anythingElse(ctx)}`, { ...data, days: [d] });
      }
    }
    const week = Array.from({ length: 7 }, (_, i) => dayView(addDays(today, i)));
    const todayName = ctx.lang === 'de' ? 'Heute' : 'Today';
    const rest = this.weekSummary(ctx, hours);
    const holidays = week.slice(1).filter((d) => d.holiday).map((d) => callerPhrases.holidayOn(ctx, ctx.lang === 'de' ? `Am ${d.weekday}, ${d.date.slice(8)}.${d.date.slice(5, 7)}.,` : `${d.weekday}, ${d.date}`, d.holiday!));
    return ok([say(week[0], todayName), rest, ...holidays, callerPhrases.anythingElse(ctx)].join(' '), { ...data, days: week });
  }

  async serviceInfo(ctx: CallContext): Promise<VoiceFunctionReply> {
    const catalogue = await this.desk.catalogue(ctx);
    const service = this.desk.service(ctx, catalogue, ctx.args.service);
    const staffIds = new Set([...service.staffIds, ...(service.steps ?? []).flatMap((s) => s.staffIds)]);
    const staff = catalogue.staff.filter((s) => staffIds.has(s.staffId) || s.serviceIds.includes(service.serviceId)).map((s) => s.name);
    const steps = (service.steps ?? []).map((s) => s.name).filter(Boolean);
    const price = service.priceMinor !== null ? spokenPrice(ctx, service.priceMinor, ctx.company.currency) : null;
    return ok(callerPhrases.serviceInfo(ctx, { name: service.name, minutes: service.durationMinutes, price, steps, staff }), {
      serviceId: service.serviceId,
      serviceName: service.name,
      durationMinutes: service.durationMinutes,
      priceMinor: service.priceMinor,
      currency: ctx.company.currency,
      includes: steps,
      staff,
    });
  }

  /** The branch asked about (`filiale`), else the call's own branch; null: the company's hours. */
  private branchOf(ctx: CallContext, catalogue: Catalogue | null) {
    const branches = catalogue?.branches ?? [];
    if (ctx.args.branch) {
      const asked = fold(ctx.args.branch);
      const named = branches.filter((b) => {
        const key = fold(b.key.replace(/[-_.]+/g, ' '));
        return key === asked || key.split(' ').some((part) => part.length >= 3 && asked.includes(part));
      });
      if (named.length === 1) return named[0];
    }
    return branches.find((b) => b.branchId === ctx.company.branchId) ?? null;
  }

  /** "Montag bis Freitag von 9 bis 18 Uhr, Samstag von 9 bis 14 Uhr; Sonntag geschlossen." */
  private weekSummary(ctx: CallContext, hours: OpeningHours): string {
    const order = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
    const names = (ctx.lang === 'de' ? ['Montag', 'Dienstag', 'Mittwoch', 'Donnerstag', 'Freitag', 'Samstag', 'Sonntag'] : ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']);
    const groups: { from: number; to: number; text: string }[] = [];
    order.forEach((k, i) => {
      const ranges = (hours[k] ?? []) as [string, string][];
      const text = ranges.length ? spokenHours(ctx, ranges) : ctx.lang === 'de' ? 'geschlossen' : 'closed';
      const last = groups[groups.length - 1];
      if (last && last.text === text && last.to === i - 1) last.to = i;
      else groups.push({ from: i, to: i, text });
    });
    const to = ctx.lang === 'de' ? 'bis' : 'to';
    const parts = groups.map((g) => `${g.from === g.to ? names[g.from] : `${names[g.from]} ${to} ${names[g.to]}`} ${g.text}`);
    return ctx.lang === 'de' ? `Unsere Öffnungszeiten: ${parts.join(', ')}.` : `Our opening hours: ${parts.join(', ')}.`;
  }
}
