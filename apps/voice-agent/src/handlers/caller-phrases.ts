import { SpokenLanguage, daysBetween, joinAll, spokenDate, spokenTime, zonedParts, type LocalDate } from '@receptionist/dates';
import type { CallContext } from './context';
import { dateTimeOf } from './phrases';

/**
 * What the agent says for the seed's information functions (parse_date, get_opening_hours, get_service_info) and
 * for holding a slot, in German (Sie-form) and English; phrases.ts holds the booking conversation.
 */
type Ctx = Pick<CallContext, 'lang' | 'company' | 'now'>;
const pick = (ctx: { lang: SpokenLanguage }, p: { de: string; en: string }) => p[ctx.lang];

const CURRENCY_WORDS: Record<string, { de: string; en: string }> = {
  EUR: { de: 'Euro', en: 'euros' },
  USD: { de: 'Dollar', en: 'dollars' },
  GBP: { de: 'Pfund', en: 'pounds' },
  CHF: { de: 'Franken', en: 'francs' },
};

/** 2900 EUR → "29 Euro"; 2950 → "29,50 Euro" / "29.50 euros". */
export function spokenPrice(ctx: { lang: SpokenLanguage }, minor: number, currency: string): string {
  const whole = minor % 100 === 0;
  const amount = whole ? String(minor / 100) : (minor / 100).toFixed(2);
  const words = CURRENCY_WORDS[currency.toUpperCase()] ?? { de: currency.toUpperCase(), en: currency.toUpperCase() };
  return `${ctx.lang === 'de' ? amount.replace('.', ',') : amount} ${words[ctx.lang]}`;
}

/** `[['09:00','12:00'],['13:00','18:00']]` → "von 9 bis 12 Uhr und von 13 bis 18 Uhr". */
export function spokenHours(ctx: { lang: SpokenLanguage }, ranges: [string, string][]): string {
  const t = (hhmm: string) => {
    const [h, m] = hhmm.split(':').map(Number);
    return m ? `${h}:${String(m).padStart(2, '0')}` : String(h);
  };
  return joinAll(
    ranges.map(([a, b]) => pick(ctx, { de: `von ${t(a)} bis ${t(b)} Uhr`, en: `from ${t(a)} to ${t(b)}` })),
    ctx.lang,
  );
}

export const callerPhrases = {
  parsedDate: (ctx: Ctx, date: LocalDate, time: string | null) =>
    pick(ctx, {
      de: `Das wäre ${spokenDate(date, 'de', ctx.now.local.year)}${time ? ` um ${time}` : ''}.`,
      en: `That would be ${spokenDate(date, 'en', ctx.now.local.year)}${time ? ` at ${time}` : ''}.`,
    }),
  whichDayOfWeek: (ctx: Ctx, label: 'this_week' | 'next_week' | 'week_after_next') =>
    pick(ctx, {
      de: `An welchem Tag ${label === 'this_week' ? 'diese Woche' : label === 'next_week' ? 'nächste Woche' : 'übernächste Woche'} hätten Sie gern einen Termin?`,
      en: `Which day ${label === 'this_week' ? 'this week' : label === 'next_week' ? 'next week' : 'the week after next'} would you like?`,
    }),
  askDate: (ctx: Ctx) => pick(ctx, { de: 'Welchen Tag meinen Sie?', en: 'Which day do you mean?' }),

  openOn: (ctx: Ctx, dayName: string, hours: string) => pick(ctx, { de: `${dayName} haben wir ${hours} geöffnet.`, en: `${dayName} we are open ${hours}.` }),
  closedOn: (ctx: Ctx, dayName: string) => pick(ctx, { de: `${dayName} haben wir geschlossen.`, en: `${dayName} we are closed.` }),
  holidayOn: (ctx: Ctx, dayName: string, holiday: string) =>
    pick(ctx, { de: `${dayName} ist Feiertag (${holiday}), da haben wir geschlossen.`, en: `${dayName} is a public holiday (${holiday}); we are closed.` }),
  anythingElse: (ctx: Ctx) => pick(ctx, { de: 'Kann ich sonst noch etwas für Sie tun?', en: 'Is there anything else I can do for you?' }),
  noHours: (ctx: Ctx) =>
    pick(ctx, {
      de: 'Unsere Öffnungszeiten habe ich leider gerade nicht vorliegen. Möchten Sie einen Termin vereinbaren?',
      en: "I don't have our opening hours at hand, I'm afraid. Would you like to make an appointment?",
    }),

  serviceInfo: (ctx: Ctx, s: { name: string; minutes: number; price: string | null; steps: string[]; staff: string[] }) => {
    const parts = [
      pick(ctx, { de: `${s.name} dauert etwa ${s.minutes} Minuten`, en: `${s.name} takes about ${s.minutes} minutes` }) +
        (s.price ? pick(ctx, { de: ` und kostet ${s.price}.`, en: ` and costs ${s.price}.` }) : pick(ctx, { de: '; den Preis nennen wir Ihnen gern vor Ort.', en: '; we will tell you the price on site.' })),
    ];
    if (s.steps.length) parts.push(pick(ctx, { de: `Dazu gehören ${joinAll(s.steps, 'de')}.`, en: `It includes ${joinAll(s.steps, 'en')}.` }));
    if (s.staff.length) parts.push(pick(ctx, { de: `Das macht bei uns ${joinAll(s.staff, 'de')}.`, en: `It is done by ${joinAll(s.staff, 'en')}.` }));
    parts.push(pick(ctx, { de: 'Möchten Sie dafür einen Termin vereinbaren?', en: 'Would you like to book an appointment for it?' }));
    return parts.join(' ');
  },

  held: (ctx: Ctx, start: Date) =>
    pick(ctx, {
      de: `Alles klar, ich halte den Termin am ${dateTimeOf(ctx, start)} kurz für Sie fest. Soll ich ihn für Sie buchen?`,
      en: `All right, I'm holding ${dateTimeOf(ctx, start)} for you for a few minutes. Shall I book it for you?`,
    }),
  released: (ctx: Ctx) => pick(ctx, { de: 'Der Termin wurde wieder freigegeben. Kann ich sonst noch etwas für Sie tun?', en: 'I have released that time again. Is there anything else I can do for you?' }),
  nothingHeld: (ctx: Ctx) => pick(ctx, { de: 'Ich halte gerade keinen Termin für Sie fest. Kann ich sonst noch etwas für Sie tun?', en: "I'm not holding any time for you at the moment. Is there anything else I can do for you?" }),
  needsExactTime: (ctx: Ctx) =>
    pick(ctx, { de: 'Für welchen Tag und welche Uhrzeit soll ich den Termin festhalten?', en: 'Which day and time shall I hold for you?' }),
};

/** "heute ab 14 Uhr", "morgen ab 9 Uhr", "am Montag, den 14. Dezember ab 9 Uhr". */
function fromWhen(ctx: Ctx, at: Date): string {
  const p = zonedParts(at, ctx.company.timeZone);
  const days = daysBetween({ year: ctx.now.local.year, month: ctx.now.local.month, day: ctx.now.local.day }, p);
  const clock = p.minute ? `${p.hour}:${String(p.minute).padStart(2, '0')}` : String(p.hour);
  if (ctx.lang === 'de') {
    const day = days === 0 ? 'heute' : days === 1 ? 'morgen' : `am ${spokenDate(p, 'de', ctx.now.local.year)}`;
    return `${day} ab ${clock} Uhr`;
  }
  const day = days === 0 ? 'today' : days === 1 ? 'tomorrow' : `on ${spokenDate(p, 'en', ctx.now.local.year)}`;
  return `${day} from ${spokenTime(p, 'en')}`;
}

export const handoffPhrases = {
  transferring: (ctx: Ctx, label: string | null) =>
    pick(ctx, {
      de: `Einen Moment bitte, ich verbinde Sie mit ${label ?? 'einem Mitarbeiter'}.`,
      en: `One moment please, I'll put you through to ${label ?? 'a member of our team'}.`,
    }),
  callbackLater: (ctx: Ctx, at: Date | null) =>
    pick(ctx, {
      de: `Gerade ist leider niemand von uns erreichbar. Ich habe Ihren Rückrufwunsch notiert, wir rufen Sie ${at ? fromWhen(ctx, at) : 'so bald wie möglich'} zurück. Kann ich sonst noch etwas für Sie tun?`,
      en: `Unfortunately nobody is available right now. I have noted that you would like a call back; we will call you ${at ? fromWhen(ctx, at) : 'as soon as possible'}. Is there anything else I can do for you?`,
    }),
};
