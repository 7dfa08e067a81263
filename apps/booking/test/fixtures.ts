import type { z } from 'zod';
import { Topics, bookingSetupSchema, createEnvelope } from '@receptionist/contracts';
import { MessageProducer } from '@receptionist/messaging';
import { testKafka } from '@receptionist/testing';
import { addDays, localToInstant, weekdayOf } from '../src/common/zoned-time';

export type BookingSetupInput = z.input<typeof bookingSetupSchema>;

/**
 * A set-up matching the Cal.com simulator's default seed (team `demo-praxis`, Europe/Berlin): Beratung 30 min
 * (event type 1001, Mon–Fri 09–12 and 13–17) and Haarschnitt 45 min (1002, Tue–Fri 10–18, Sat 09–13).
 */
export function setupDoc(companyId: string, overrides: Partial<BookingSetupInput> = {}): BookingSetupInput {
  return {
    companyId,
    revision: 'rev-1',
    timeZone: 'Europe/Berlin',
    language: 'de',
    calcomTeamSlug: 'demo-praxis',
    services: [
      { key: 'beratung', name: 'Beratung', aliases: ['Consultation'], calcomEventTypeId: 1001, durationMinutes: 30, priceMinor: 5000 },
      { key: 'haarschnitt', name: 'Haarschnitt', aliases: ['Herrenschnitt', "men's cut"], calcomEventTypeId: 1002, durationMinutes: 45, priceMinor: 3500 },
    ],
    staff: [
      { key: 'anna', name: 'Anna Berger', calcomUserId: 11, serviceKeys: ['beratung', 'haarschnitt'] },
      { key: 'ben', name: 'Ben Koch', calcomUserId: null, serviceKeys: ['haarschnitt'] },
    ],
    branches: [{ branchId: 'branch-mitte', key: 'mitte', openingHours: { mon: [['09:00', '17:00']] } }],
    openingHours: {
      mon: [['08:00', '18:00']],
      tue: [['08:00', '18:00']],
      wed: [['08:00', '18:00']],
      thu: [['08:00', '18:00']],
      fri: [['08:00', '18:00']],
      sat: [['09:00', '13:00']],
    },
    policies: { minNoticeMinutes: 60, cancellationNoticeHours: 24, maxReschedules: 2, bookingHorizonDays: 60 },
    ...overrides,
  };
}

/** Sends `company.setup.booking` as the gateway does (keyed by company id). */
export async function sendSetup(producer: MessageProducer, doc: BookingSetupInput): Promise<string> {
  const envelope = createEnvelope({ type: Topics.bookingSetup.name, source: 'gateway', companyId: doc.companyId, subject: doc.revision, data: doc });
  await producer.publish({ topic: Topics.bookingSetup.name, key: doc.companyId, envelope });
  return envelope.id;
}

export async function startProducer(): Promise<MessageProducer> {
  const producer = new MessageProducer(testKafka());
  await producer.connect();
  return producer;
}

/** A Wednesday 2–3 weeks ahead (YYYY-MM-DD): in the default seed, Beratung (1001) is offered 09–12 and 13–17 Berlin time. */
export function wednesdayAhead(): string {
  let d = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
  while (weekdayOf(d) !== 'wed') d = addDays(d, 1);
  return d;
}

/** `HH:MM` Berlin time on `date`, as the ISO instant Cal.com and the booking requests take. */
export const berlinAt = (date: string, hhmm: string) => new Date(localToInstant(date, Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3)), 'Europe/Berlin')).toISOString();
