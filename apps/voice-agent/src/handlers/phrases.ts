import type { BookingErrorCode } from '@receptionist/contracts';
import { SpokenLanguage, joinAlternatives, joinAll, spokenDate, spokenDateTime, spokenTime, zonedParts } from '@receptionist/dates';
import type { RequiredField } from '../drafts/draft-fields';
import type { CallContext, Phrase } from './context';

/**
 * Everything the agent says, in German (Sie-form, "14:30 Uhr", alternatives with "oder") and English.
 * Short, polite, and ending with a question that moves the dialogue on.
 */
type Ctx = Pick<CallContext, 'lang' | 'company' | 'now'>;
const pick = (ctx: { lang: SpokenLanguage }, p: Phrase) => p[ctx.lang];

export const dateOf = (ctx: Ctx, d: Date) => spokenDate(zonedParts(d, ctx.company.timeZone), ctx.lang, ctx.now.local.year);
export const timeOf = (ctx: Ctx, d: Date) => spokenTime(zonedParts(d, ctx.company.timeZone), ctx.lang);
export const dateTimeOf = (ctx: Ctx, d: Date) => spokenDateTime(d, ctx.company.timeZone, ctx.lang, ctx.now.local.year);
const sameDay = (ctx: Ctx, ds: Date[]) => new Set(ds.map((d) => dateOf(ctx, d))).size === 1;

/** "am Montag, den 3. November um 9:00 Uhr, 10:00 Uhr oder 11:00 Uhr" or full date-times joined with "oder". */
export function offerList(ctx: Ctx, options: Date[]): string {
  if (options.length > 1 && sameDay(ctx, options)) {
    const times = joinAlternatives(options.map((d) => timeOf(ctx, d)), ctx.lang);
    return pick(ctx, { de: `am ${dateOf(ctx, options[0])} um ${times}`, en: `on ${dateOf(ctx, options[0])} at ${times}` });
  }
  return joinAlternatives(options.map((d) => pick(ctx, { de: `am ${dateTimeOf(ctx, d)}`, en: `on ${dateTimeOf(ctx, d)}` })), ctx.lang);
}

/** A number read back digit by digit in groups ("0 1 7 1, 2 3 4, 5 6 7 8"); German numbers in national form. */
export function spokenNumber(e164: string): string {
  const national = e164.startsWith('+49') ? `0${e164.slice(3)}` : e164;
  const digits = national.replace(/[^\d+]/g, '');
  const groups: string[] = [];
  for (let i = 0; i < digits.length; i += i === 0 ? 4 : 3) groups.push(digits.slice(i, i === 0 ? 4 : i + 3).split('').join(' '));
  return groups.join(', ');
}

export const phrases = {
  greetingKnown: (ctx: Ctx, name: string) =>
    pick(ctx, { de: `Willkommen zurück, ${name}! Wie kann ich Ihnen helfen?`, en: `Welcome back, ${name}! How can I help you?` }),
  greetingNew: (ctx: Ctx) => pick(ctx, { de: 'Guten Tag! Wie kann ich Ihnen helfen?', en: 'Hello! How can I help you?' }),

  available: (ctx: Ctx, service: string, start: Date) =>
    pick(ctx, {
      de: `Ja, am ${dateOf(ctx, start)} um ${timeOf(ctx, start)} ist ein Termin für ${service} frei. Soll ich den Termin für Sie buchen?`,
      en: `Yes, ${service} is available on ${dateOf(ctx, start)} at ${timeOf(ctx, start)}. Shall I book it for you?`,
    }),
  takenWithAlternatives: (ctx: Ctx, start: Date, options: Date[]) =>
    pick(ctx, {
      de: `Am ${dateOf(ctx, start)} um ${timeOf(ctx, start)} ist leider schon belegt. Ich kann Ihnen ${offerList(ctx, options)} anbieten. Welcher Termin würde Ihnen besser passen?`,
      en: `Unfortunately ${dateOf(ctx, start)} at ${timeOf(ctx, start)} is already taken. I can offer you ${offerList(ctx, options)}. Which would suit you better?`,
    }),
  closedWithAlternatives: (ctx: Ctx, start: Date, options: Date[]) =>
    pick(ctx, {
      de: `Am ${dateOf(ctx, start)} um ${timeOf(ctx, start)} haben wir leider geschlossen. Ich kann Ihnen ${offerList(ctx, options)} anbieten. Welcher Termin würde Ihnen passen?`,
      en: `We are closed on ${dateOf(ctx, start)} at ${timeOf(ctx, start)}, I'm afraid. I can offer you ${offerList(ctx, options)}. Which would suit you?`,
    }),
  /** "gegen halb drei": the nearest free time is offered as the answer, not as an alternative. */
  nearWish: (ctx: Ctx, service: string, wished: Date, offered: Date) =>
    pick(ctx, {
      de: `Ja, am ${dateOf(ctx, wished)} hätte ich um ${timeOf(ctx, offered)} einen Termin für ${service} frei. Soll ich den Termin für Sie buchen?`,
      en: `Yes, on ${dateOf(ctx, wished)} I have ${service} at ${timeOf(ctx, offered)}. Shall I book it for you?`,
    }),
  options: (ctx: Ctx, service: string, options: Date[], outsideWish: boolean) => {
    const lead = outsideWish ? pick(ctx, { de: 'Zur gewünschten Zeit ist leider nichts mehr frei. ', en: 'Nothing is free at the time you asked for. ' }) : '';
    if (options.length === 1) {
      return lead + pick(ctx, {
        de: `Ich hätte ${offerList(ctx, options)} einen Termin für ${service} frei. Passt Ihnen das?`,
        en: `I have an appointment for ${service} ${offerList(ctx, options)}. Does that suit you?`,
      });
    }
    return lead + pick(ctx, {
      de: `Für ${service} hätte ich ${offerList(ctx, options)} einen Termin frei. Welcher Termin passt Ihnen?`,
      en: `For ${service} I have appointments ${offerList(ctx, options)}. Which one suits you?`,
    });
  },
  nothingFree: (ctx: Ctx, service: string) =>
    pick(ctx, {
      de: `Leider habe ich in diesem Zeitraum keinen freien Termin für ${service} gefunden. Möchten Sie es zu einem anderen Zeitpunkt versuchen, oder soll ich Sie zurückrufen lassen?`,
      en: `Sorry, I could not find a free appointment for ${service} in that time. Would you like to try another time, or shall I have someone call you back?`,
    }),
  /** "bei Anna": she is busy then; her nearest free times and/or who else is free at the wished time. */
  staffBusy: (ctx: Ctx, staff: string, start: Date, options: Date[], others: string[]) => {
    const lead = pick(ctx, {
      de: `${staff} ist am ${dateOf(ctx, start)} um ${timeOf(ctx, start)} leider nicht frei.`,
      en: `${staff} is not available on ${dateOf(ctx, start)} at ${timeOf(ctx, start)}, I'm afraid.`,
    });
    const hers = options.length ? pick(ctx, { de: ` ${staff} hätte ${offerList(ctx, options)} Zeit.`, en: ` ${staff} is free ${offerList(ctx, options)}.` }) : '';
    const other = others.length
      ? pick(ctx, { de: ` Zur gewünschten Zeit hätte ${joinAlternatives(others, 'de')} Zeit.`, en: ` At the time you asked for, ${joinAlternatives(others, 'en')} would be free.` })
      : '';
    return `${lead}${hers}${other} ${pick(ctx, { de: 'Was wäre Ihnen lieber?', en: 'What would you prefer?' })}`;
  },
  /** Nothing suitable: the wish is already noted for a call back. */
  nothingFreeNoted: (ctx: Ctx, service: string) =>
    pick(ctx, {
      de: `Leider habe ich in diesem Zeitraum keinen freien Termin für ${service} gefunden. Ich habe Ihren Wunsch notiert, ein Mitarbeiter ruft Sie zurück. Möchten Sie es inzwischen zu einem anderen Zeitpunkt versuchen?`,
      en: `Sorry, I could not find a free appointment for ${service} in that time. I have noted your wish and a member of our team will call you back. Would you like to try another time meanwhile?`,
    }),
  slotTaken: (ctx: Ctx, options: Date[]) =>
    options.length
      ? pick(ctx, {
          de: `Dieser Termin wurde leider gerade vergeben. Ich kann Ihnen ${offerList(ctx, options)} anbieten. Welcher Termin würde Ihnen passen?`,
          en: `That time has just been taken, I'm afraid. I can offer you ${offerList(ctx, options)}. Which would suit you?`,
        })
      : pick(ctx, {
          de: 'Dieser Termin wurde leider gerade vergeben, und ich finde in der Nähe keinen freien Termin. Möchten Sie einen anderen Tag versuchen?',
          en: 'That time has just been taken, I\'m afraid, and I cannot find another free time near it. Would you like to try another day?',
        }),

  invalidDate: (ctx: Ctx) =>
    pick(ctx, {
      de: 'Das Datum habe ich leider nicht verstanden. Können Sie es bitte noch einmal nennen, zum Beispiel „morgen“, „Montag“ oder „20.10.“?',
      en: 'Sorry, I did not understand the date. Could you say it again, for example "tomorrow", "Monday" or "20 October"?',
    }),
  invalidTime: (ctx: Ctx) =>
    pick(ctx, {
      de: 'Die Uhrzeit habe ich leider nicht verstanden. Um wie viel Uhr hätten Sie gern den Termin?',
      en: 'Sorry, I did not understand the time. At what time would you like the appointment?',
    }),
  dateInPast: (ctx: Ctx) =>
    pick(ctx, {
      de: 'Dieser Zeitpunkt liegt leider in der Vergangenheit. An welchem Tag hätten Sie gern einen Termin?',
      en: 'That time is already in the past. Which day would you like an appointment on?',
    }),
  timePassedToday: (ctx: Ctx, time: string) =>
    pick(ctx, {
      de: `${time} ist heute leider schon vorbei. Meinen Sie morgen um ${time}?`,
      en: `${time} has already passed today. Do you mean tomorrow at ${time}?`,
    }),

  whichTime: (ctx: Ctx, options: string[]) =>
    pick(ctx, {
      de: `Meinen Sie ${joinAlternatives(options, 'de')}?`,
      en: `Do you mean ${joinAlternatives(options, 'en')}?`,
    }),
  whichService: (ctx: Ctx, names: string[]) =>
    pick(ctx, {
      de: `Für welche Dienstleistung möchten Sie einen Termin? Wir bieten ${joinAlternatives(names, 'de')} an.`,
      en: `Which service would you like an appointment for? We offer ${joinAlternatives(names, 'en')}.`,
    }),
  unknownService: (ctx: Ctx, names: string[]) =>
    pick(ctx, {
      de: `Diese Dienstleistung kann ich leider nicht finden. Wir bieten ${joinAlternatives(names, 'de')} an. Was davon darf es sein?`,
      en: `Sorry, I cannot find that service. We offer ${joinAlternatives(names, 'en')}. Which would you like?`,
    }),
  severalServices: (ctx: Ctx, names: string[]) =>
    pick(ctx, {
      de: `Meinen Sie ${joinAlternatives(names, 'de')}?`,
      en: `Do you mean ${joinAlternatives(names, 'en')}?`,
    }),
  ownAppointment: (ctx: Ctx, service: string, start: Date) =>
    pick(ctx, {
      de: `Zu dieser Zeit haben Sie bereits einen Termin: ${service} am ${dateOf(ctx, start)} um ${timeOf(ctx, start)}. Möchten Sie diesen Termin verschieben oder einen weiteren Termin vereinbaren?`,
      en: `You already have an appointment then: ${service} on ${dateOf(ctx, start)} at ${timeOf(ctx, start)}. Would you like to move it or book another appointment?`,
    }),
  staffDoesNotOffer: (ctx: Ctx, staff: string, service: string, others: string[]) =>
    others.length
      ? pick(ctx, {
          de: `${staff} bietet ${service} leider nicht an. ${service} macht bei uns ${joinAlternatives(others, 'de')}. Möchten Sie einen Termin bei ${others.length === 1 ? others[0] : 'einem von ihnen'}?`,
          en: `${staff} does not do ${service}, I'm afraid. ${service} is done by ${joinAlternatives(others, 'en')}. Would you like an appointment with ${others.length === 1 ? others[0] : 'one of them'}?`,
        })
      : pick(ctx, {
          de: `${staff} bietet ${service} leider nicht an. Möchten Sie trotzdem einen Termin für ${service}?`,
          en: `${staff} does not do ${service}, I'm afraid. Would you still like an appointment for ${service}?`,
        }),
  unknownStaff: (ctx: Ctx) =>
    pick(ctx, {
      de: 'Diese Mitarbeiterin oder diesen Mitarbeiter kann ich leider nicht finden. Darf es auch jemand anderes sein?',
      en: 'Sorry, I cannot find that member of staff. Would someone else be fine?',
    }),
  noServices: (ctx: Ctx) =>
    pick(ctx, {
      de: 'Ich kann gerade leider keine Termine vergeben. Soll ich Sie zurückrufen lassen?',
      en: 'I am unable to make appointments at the moment. Shall I have someone call you back?',
    }),
  servicesList: (ctx: Ctx, names: string[]) =>
    pick(ctx, { de: `Wir bieten folgende Dienstleistungen an: ${joinAll(names, 'de')}.`, en: `We offer the following services: ${joinAll(names, 'en')}.` }),

  ask: (ctx: Ctx, field: RequiredField) =>
    pick(ctx, {
      service: { de: 'Für welche Dienstleistung möchten Sie den Termin?', en: 'Which service would you like the appointment for?' },
      date: { de: 'An welchem Tag hätten Sie gern den Termin?', en: 'Which day would you like the appointment on?' },
      time: { de: 'Um wie viel Uhr hätten Sie gern den Termin?', en: 'At what time would you like the appointment?' },
      name: { de: 'Auf welchen Namen darf ich den Termin eintragen?', en: 'What name shall I put the appointment under?' },
      phone: { de: 'Unter welcher Telefonnummer können wir Sie erreichen?', en: 'Which phone number can we reach you on?' },
    }[field]),
  /** The "name" given is one of our staff: the caller's own name is still missing. */
  staffNameAsName: (ctx: Ctx, staff: string) =>
    pick(ctx, {
      de: `${staff} ist bei uns im Team. Wie ist bitte Ihr eigener Name, auf den ich den Termin eintragen darf?`,
      en: `${staff} is a member of our team. What is your own name, so I can put the appointment under it?`,
    }),
  emptyName: (ctx: Ctx) =>
    pick(ctx, {
      de: 'Ich brauche noch Ihren Namen für die Buchung. Auf welchen Namen darf ich den Termin eintragen?',
      en: 'I still need your name for the booking. What name shall I put the appointment under?',
    }),
  invalidPhone: (ctx: Ctx) =>
    pick(ctx, {
      de: 'Die Telefonnummer habe ich leider nicht richtig verstanden. Können Sie sie bitte noch einmal langsam nennen?',
      en: 'Sorry, I did not catch the phone number. Could you say it again slowly?',
    }),
  invalidEmail: (ctx: Ctx) =>
    pick(ctx, {
      de: 'Die E-Mail-Adresse habe ich leider nicht richtig verstanden. Können Sie sie bitte noch einmal buchstabieren?',
      en: 'Sorry, I did not catch the e-mail address. Could you spell it again?',
    }),
  /** With `callbackNumber` (a caller whose own number is withheld) the number is read back for confirmation. */
  confirmDraft: (ctx: Ctx, service: string, start: Date, name: string, callbackNumber?: string | null) =>
    callbackNumber
      ? pick(ctx, {
          de: `Der Termin für ${service} am ${dateOf(ctx, start)} um ${timeOf(ctx, start)} ist noch frei. Ich habe den Namen ${name} und die Rückrufnummer ${spokenNumber(callbackNumber)} notiert. Stimmt das, und soll ich den Termin buchen?`,
          en: `${service} on ${dateOf(ctx, start)} at ${timeOf(ctx, start)} is still available. I have the name ${name} and the callback number ${spokenNumber(callbackNumber)}. Is that correct, and shall I book it?`,
        })
      : pick(ctx, {
          de: `Der Termin für ${service} am ${dateOf(ctx, start)} um ${timeOf(ctx, start)} ist noch frei. Soll ich ihn auf den Namen ${name} für Sie buchen?`,
          en: `${service} on ${dateOf(ctx, start)} at ${timeOf(ctx, start)} is still available. Shall I book it for you under the name ${name}?`,
        }),
  noted: (ctx: Ctx, next: string) => pick(ctx, { de: `Vielen Dank, das habe ich notiert. ${next}`, en: `Thank you, I have noted that. ${next}` }),
  booked: (ctx: Ctx, service: string, start: Date) =>
    pick(ctx, {
      de: `Perfekt! Ihr Termin für ${service} am ${dateOf(ctx, start)} um ${timeOf(ctx, start)} ist gebucht. Sie erhalten in Kürze eine Bestätigung. Kann ich sonst noch etwas für Sie tun?`,
      en: `Perfect! Your appointment for ${service} on ${dateOf(ctx, start)} at ${timeOf(ctx, start)} is booked. You will receive a confirmation shortly. Is there anything else I can do for you?`,
    }),

  calendarFallback: (ctx: Ctx) =>
    pick(ctx, {
      de: 'Ich kann gerade leider nicht auf unseren Kalender zugreifen. Ein Mitarbeiter ruft Sie zurück, um den Termin mit Ihnen abzustimmen. Ist das in Ordnung?',
      en: 'I am unable to reach our calendar at the moment. A member of our team will call you back to arrange the appointment. Is that all right?',
    }),
  calendarFallbackNoNumber: (ctx: Ctx) =>
    pick(ctx, {
      de: 'Ich kann gerade leider nicht auf unseren Kalender zugreifen. Unter welcher Telefonnummer dürfen wir Sie zurückrufen?',
      en: 'I am unable to reach our calendar at the moment. Which number may we call you back on?',
    }),
  callbackRecorded: (ctx: Ctx) =>
    pick(ctx, {
      de: 'Gern, ich habe Ihren Rückrufwunsch notiert. Ein Mitarbeiter ruft Sie so bald wie möglich zurück.',
      en: 'Certainly, I have noted your request. A member of our team will call you back as soon as possible.',
    }),

  anonymous: (ctx: Ctx) =>
    pick(ctx, {
      de: 'Aus Sicherheitsgründen kann ich Termine nur besprechen, wenn Ihre Telefonnummer übertragen wird. Bitte rufen Sie uns mit sichtbarer Nummer an, oder soll ich Sie zurückrufen lassen?',
      en: 'For your security I can only discuss appointments when your phone number is shown. Please call us again with your number visible, or shall I have someone call you back?',
    }),
  noAppointments: (ctx: Ctx) =>
    pick(ctx, { de: 'Unter Ihrer Nummer habe ich keine bevorstehenden Termine gefunden.', en: 'I could not find any upcoming appointments under your number.' }),
  appointmentsList: (ctx: Ctx, items: { service: string; start: Date }[]) => {
    const list = joinAll(items.map((a) => pick(ctx, { de: `${a.service} am ${dateTimeOf(ctx, a.start)}`, en: `${a.service} on ${dateTimeOf(ctx, a.start)}` })), ctx.lang);
    return items.length === 1
      ? pick(ctx, { de: `Sie haben einen Termin: ${list}.`, en: `You have one appointment: ${list}.` })
      : pick(ctx, { de: `Sie haben ${items.length} Termine: ${list}.`, en: `You have ${items.length} appointments: ${list}.` });
  },
  whichAppointment: (ctx: Ctx, items: { service: string; start: Date }[]) =>
    pick(ctx, {
      de: `Ich habe mehrere Termine gefunden: ${joinAlternatives(items.map((a) => `${a.service} am ${dateTimeOf(ctx, a.start)}`), 'de')}. Welchen Termin meinen Sie?`,
      en: `I found several appointments: ${joinAlternatives(items.map((a) => `${a.service} on ${dateTimeOf(ctx, a.start)}`), 'en')}. Which one do you mean?`,
    }),
  appointmentNotFound: (ctx: Ctx, on: Date | null) =>
    on
      ? pick(ctx, { de: `Ich konnte an diesem Tag (${dateOf(ctx, on)}) keinen Termin unter Ihrer Nummer finden.`, en: `I could not find an appointment under your number on ${dateOf(ctx, on)}.` })
      : pick(ctx, { de: 'Ich konnte diesen Termin unter Ihrer Nummer leider nicht finden.', en: 'I could not find that appointment under your number.' }),
  confirmCancel: (ctx: Ctx, service: string, start: Date) =>
    pick(ctx, {
      de: `Soll ich Ihren Termin für ${service} am ${dateTimeOf(ctx, start)} wirklich stornieren?`,
      en: `Shall I really cancel your appointment for ${service} on ${dateTimeOf(ctx, start)}?`,
    }),
  cancelled: (ctx: Ctx, service: string, start: Date) =>
    pick(ctx, {
      de: `Ihr Termin für ${service} am ${dateTimeOf(ctx, start)} wurde storniert. Kann ich sonst noch etwas für Sie tun?`,
      en: `Your appointment for ${service} on ${dateTimeOf(ctx, start)} has been cancelled. Is there anything else I can do for you?`,
    }),
  whenToMove: (ctx: Ctx) =>
    pick(ctx, { de: 'Auf wann möchten Sie den Termin verschieben?', en: 'When would you like to move the appointment to?' }),
  confirmReschedule: (ctx: Ctx, start: Date) =>
    pick(ctx, {
      de: `Der Termin kann auf ${dateOf(ctx, start)} um ${timeOf(ctx, start)} verschoben werden. Ist das in Ordnung?`,
      en: `The appointment can be moved to ${dateOf(ctx, start)} at ${timeOf(ctx, start)}. Is that all right?`,
    }),
  rescheduled: (ctx: Ctx, service: string, start: Date) =>
    pick(ctx, {
      de: `Ihr Termin für ${service} wurde auf ${dateOf(ctx, start)} um ${timeOf(ctx, start)} verschoben. Kann ich sonst noch etwas für Sie tun?`,
      en: `Your appointment for ${service} has been moved to ${dateOf(ctx, start)} at ${timeOf(ctx, start)}. Is there anything else I can do for you?`,
    }),

  policyRefused: (ctx: Ctx, data: Record<string, unknown>) => {
    const n = Number(data.noticeHours);
    const left = Number(data.hoursLeft);
    const leftDe = Number.isFinite(left) ? (left < 1 ? ' Ihr Termin beginnt in weniger als einer Stunde.' : ` Ihr Termin beginnt in ${Math.floor(left)} Stunden.`) : '';
    const leftEn = Number.isFinite(left) ? (left < 1 ? ' Your appointment starts in less than an hour.' : ` Your appointment starts in ${Math.floor(left)} hours.`) : '';
    const offer: Phrase = { de: ' Soll ich Sie von einem Mitarbeiter zurückrufen lassen?', en: ' Shall I have a member of our team call you back?' };
    const rule: Record<string, Phrase> = {
      cancellation_notice: { de: `Eine Stornierung ist leider nur bis ${n} Stunden vor dem Termin möglich.${leftDe}`, en: `Appointments can only be cancelled up to ${n} hours in advance.${leftEn}` },
      reschedule_notice: { de: `Ein Termin kann leider nur bis ${n} Stunden vorher verschoben werden.${leftDe}`, en: `Appointments can only be moved up to ${n} hours in advance.${leftEn}` },
      max_reschedules: { de: `Dieser Termin wurde bereits ${Number(data.rescheduledCount)} Mal verschoben, öfter ist das leider nicht möglich.`, en: `This appointment has already been moved ${Number(data.rescheduledCount)} times, which is the limit.` },
      started: { de: 'Dieser Termin hat bereits begonnen und kann nicht mehr geändert werden.', en: 'This appointment has already started and can no longer be changed.' },
    };
    return pick(ctx, rule[String(data.rule)] ?? { de: 'Das ist so kurzfristig leider nicht mehr möglich.', en: 'That is no longer possible at such short notice.' }) + pick(ctx, offer);
  },
  refusedWithAlternatives: (ctx: Ctx, code: BookingErrorCode, options: Date[]) => {
    const why: Partial<Record<BookingErrorCode, Phrase>> = {
      outside_opening_hours: { de: 'Zu dieser Zeit haben wir leider geschlossen.', en: 'We are closed at that time, I\'m afraid.' },
      too_short_notice: { de: 'So kurzfristig kann ich leider keinen Termin mehr eintragen.', en: 'That is too short notice, I\'m afraid.' },
      beyond_horizon: { de: 'So weit im Voraus kann ich leider noch keine Termine vergeben.', en: 'I cannot book that far ahead yet.' },
    };
    return `${pick(ctx, why[code] ?? { de: 'Das geht leider nicht.', en: 'That is not possible, I\'m afraid.' })} ${pick(ctx, {
      de: `Ich kann Ihnen ${offerList(ctx, options)} anbieten. Welcher Termin würde Ihnen passen?`,
      en: `I can offer you ${offerList(ctx, options)}. Which would suit you?`,
    })}`;
  },
  bookingRefused: (ctx: Ctx, code: BookingErrorCode | undefined) =>
    pick(ctx, ({
      outside_opening_hours: { de: 'Zu dieser Zeit haben wir leider geschlossen. Darf ich Ihnen einen anderen Termin vorschlagen?', en: 'We are closed at that time, I\'m afraid. May I suggest another time?' },
      too_short_notice: { de: 'So kurzfristig kann ich leider keinen Termin mehr eintragen. Darf es ein etwas späterer Termin sein?', en: 'That is too short notice, I\'m afraid. Would a later time work for you?' },
      beyond_horizon: { de: 'So weit im Voraus kann ich leider noch keine Termine vergeben. Darf es ein früherer Termin sein?', en: 'I cannot book that far ahead yet. Would an earlier date work for you?' },
      in_the_past: { de: 'Dieser Zeitpunkt liegt leider in der Vergangenheit. An welchem Tag hätten Sie gern einen Termin?', en: 'That time is already in the past. Which day would you like?' },
      policy_denied: { de: 'Das ist so kurzfristig leider nicht mehr möglich. Ein Mitarbeiter kann Ihnen aber gern weiterhelfen. Soll ich Sie zurückrufen lassen?', en: 'That is no longer possible at such short notice. A member of our team can help you, though. Shall I have someone call you back?' },
      unknown_service: { de: 'Diese Dienstleistung kann ich leider nicht finden. Welche Dienstleistung darf es sein?', en: 'Sorry, I cannot find that service. Which service would you like?' },
      unknown_staff: { de: 'Diese Mitarbeiterin oder diesen Mitarbeiter kann ich leider nicht finden. Darf es auch jemand anderes sein?', en: 'Sorry, I cannot find that member of staff. Would someone else be fine?' },
      not_found: { de: 'Ich konnte diesen Termin leider nicht finden.', en: 'Sorry, I could not find that appointment.' },
    } as Partial<Record<BookingErrorCode, Phrase>>)[code ?? 'invalid_request'] ?? {
      de: 'Das hat leider nicht geklappt. Darf ich Sie von einem Mitarbeiter zurückrufen lassen?',
      en: 'Sorry, that did not work. May I have a member of our team call you back?',
    }),
  noCallContext: (ctx: { lang: SpokenLanguage }) =>
    pick(ctx, {
      de: 'Entschuldigung, da ist etwas schiefgelaufen. Ein Mitarbeiter kann Ihnen gern weiterhelfen. Soll ich Sie zurückrufen lassen?',
      en: 'Sorry, something went wrong. A member of our team will be glad to help. Shall I have someone call you back?',
    }),
  internalError: (ctx: { lang: SpokenLanguage }) =>
    pick(ctx, {
      de: 'Entschuldigung, da ist etwas schiefgelaufen. Darf ich Sie von einem Mitarbeiter zurückrufen lassen?',
      en: 'Sorry, something went wrong. May I have a member of our team call you back?',
    }),
  unknownFunction: (ctx: { lang: SpokenLanguage }) =>
    pick(ctx, { de: 'Diese Funktion wird leider nicht unterstützt.', en: 'This function is not supported.' }),
};
