import type { z } from 'zod';
import { Topics, bookingSetupSchema, createEnvelope } from '@receptionist/contracts';
import { MessageProducer } from '@receptionist/messaging';
import { testKafka } from '@receptionist/testing';

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
