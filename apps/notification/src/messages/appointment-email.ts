import ical, { ICalAttendeeRole, ICalAttendeeStatus, ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import type { MessageKind } from './templates';

export interface AppointmentInvitation {
  appointmentId: string;
  /** booking's appointment version (1 when booked); absent from older producers. */
  version: number | null;
  kind: MessageKind;
  startsAt: Date;
  endsAt: Date;
  serviceName: string;
  companyName: string | null;
  customerName: string;
  customerEmail: string;
  /** The From address (bare), the invitation's organizer. */
  organizerEmail: string;
  language: string;
}

/** One UID per appointment, so a calendar replaces (moved) or removes (cancelled) the entry it added. */
export const invitationUid = (appointmentId: string): string => `appointment-${appointmentId}@receptionist`;

/**
 * The `.ics` for an appointment e-mail (RFC 5545/5546 via ical-generator): METHOD:REQUEST for a booking or a move,
 * METHOD:CANCEL for a cancellation, with the appointment's stable UID and SEQUENCE from booking's version, so each
 * change supersedes the previous invitation in the customer's calendar. Times in UTC: no VTIMEZONE needed.
 */
export function appointmentIcs(a: AppointmentInvitation): string {
  const cancel = a.kind === 'cancellation';
  const calendar = ical({
    prodId: { company: 'receptionist', product: 'appointments', language: a.language.toUpperCase() },
    method: cancel ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST,
  });
  const summary = a.companyName ? `${a.serviceName} – ${a.companyName}` : a.serviceName;
  calendar.createEvent({
    id: invitationUid(a.appointmentId),
    sequence: Math.max(0, (a.version ?? 1) - 1),
    start: a.startsAt,
    end: a.endsAt,
    stamp: new Date(),
    summary,
    status: cancel ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    organizer: { name: a.companyName ?? 'Receptionist', email: a.organizerEmail },
    attendees: [{ name: a.customerName, email: a.customerEmail, role: ICalAttendeeRole.REQ, status: cancel ? ICalAttendeeStatus.DECLINED : ICalAttendeeStatus.ACCEPTED, rsvp: false }],
  });
  return calendar.toString();
}

/** The bare address of `Name <address>` or of a bare address. */
export const bareAddress = (from: string): string => /<([^<>]+)>/.exec(from)?.[1] ?? from.trim();

/** The e-mail subject per kind, German or English (the company's own templates cover the body). */
export function emailSubject(kind: MessageKind, language: string, serviceName: string, companyName: string | null): string {
  const de = language === 'de';
  const what = { confirmation: de ? 'Terminbestätigung' : 'Appointment confirmed', reschedule: de ? 'Termin verschoben' : 'Appointment moved', cancellation: de ? 'Termin abgesagt' : 'Appointment cancelled' } as Partial<Record<MessageKind, string>>;
  return [what[kind] ?? serviceName, serviceName, companyName].filter(Boolean).join(' · ').slice(0, 255);
}

/** The SMS texts end with how to opt out by SMS; an e-mail has its own unsubscribe link instead. */
export const withoutSmsOptOut = (body: string): string => body.replace(/\s*(?:Abmelden: STOP|Reply STOP to opt out\.)\s*$/, '');

/** Text under the message: how to stop these e-mails. */
export function unsubscribeFooter(language: string, link: string): string {
  return language === 'de' ? `\n\n--\nKeine Termin-E-Mails mehr erhalten: ${link}` : `\n\n--\nStop receiving appointment e-mails: ${link}`;
}

/**
 * The unsubscribe link (RFC 2369 `mailto:`): a message to the sender whose subject names the company and the
 * recipient. There is no automatic handler for it yet: the reply reaches the sender's mailbox, and an address put on
 * notification_opt_out is then never written to again (docs/architecture.md, "E-mail").
 */
export function unsubscribeLink(fromAddress: string, companyId: string, recipient: string): string {
  return `mailto:${fromAddress}?subject=${encodeURIComponent(`unsubscribe ${companyId} ${recipient}`)}`;
}
