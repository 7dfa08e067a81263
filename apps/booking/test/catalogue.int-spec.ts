import { Topics } from '@receptionist/contracts';
import { MessageProducer } from '@receptionist/messaging';
import { collectMessages, testKafka, uniqueName, waitFor } from '@receptionist/testing';
import { BookingRequester, TestBooking, startBooking, startBookingRequester } from './booking-app';
import { sendSetup, setupDoc, startProducer } from './fixtures';

jest.setTimeout(120000);

/** company.setup.booking → catalogue tables, company.setup.applied, catalogue.get. */
describe('booking catalogue set-up', () => {
  const prefix = uniqueName('cat');
  let booking: TestBooking;
  let requester: BookingRequester;
  let producer: MessageProducer;
  let applied: Awaited<ReturnType<typeof collectMessages>>;

  const appliedFor = (companyId: string) =>
    applied.messages.map((m) => JSON.parse(m.value!.toString())).filter((e) => e.data.companyId === companyId && e.data.part === 'booking');

  beforeAll(async () => {
    applied = await collectMessages(testKafka(), [Topics.setupApplied.name], { fromBeginning: false });
    booking = await startBooking({}, { companies: [`${prefix}*`] });
    requester = await startBookingRequester();
    producer = await startProducer();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await requester?.stop();
    await booking?.close();
    await applied?.stop();
  });

  it('applies the set-up, answers applied, and the same revision again is unchanged', async () => {
    const companyId = `${prefix}-a`;
    await sendSetup(producer, setupDoc(companyId));
    const [first] = await waitFor(() => (appliedFor(companyId).length >= 1 ? appliedFor(companyId) : null), { message: 'applied event' });
    expect(first).toMatchObject({ type: 'company.setup.applied', companyId, data: { companyId, part: 'booking', revision: 'rev-1', outcome: 'applied' } });

    const reply = await requester.ask({ operation: 'catalogue.get', companyId, callId: null });
    expect(reply).toMatchObject({ ok: true });
    const catalogue = reply.data!.catalogue as any;
    expect(catalogue).toMatchObject({ companyId, revision: 'rev-1', timeZone: 'Europe/Berlin', language: 'de', calcomTeamSlug: 'demo-praxis' });
    expect(catalogue.policies).toEqual({ minNoticeMinutes: 60, cancellationNoticeHours: 24, maxReschedules: 2, bookingHorizonDays: 60 });
    expect(catalogue.services.map((s: any) => [s.key, s.calcomEventTypeId, s.durationMinutes, s.priceMinor])).toEqual([
      ['beratung', 1001, 30, 5000],
      ['haarschnitt', 1002, 45, 3500],
    ]);
    const anna = catalogue.staff.find((s: any) => s.key === 'anna');
    const haarschnitt = catalogue.services.find((s: any) => s.key === 'haarschnitt');
    expect(anna.serviceIds).toHaveLength(2);
    expect(haarschnitt.staffIds).toHaveLength(2);
    expect(catalogue.branches).toEqual([{ branchId: 'branch-mitte', key: 'mitte', openingHours: { mon: [['09:00', '17:00']] }, transferNumbers: [] }]);

    await sendSetup(producer, setupDoc(companyId));
    await waitFor(() => appliedFor(companyId).length >= 2, { message: 'second applied event' });
    expect(appliedFor(companyId)[1].data).toMatchObject({ revision: 'rev-1', outcome: 'unchanged' });
    const again = (await requester.ask({ operation: 'catalogue.get', companyId, callId: null })).data!.catalogue as any;
    expect(again.services.map((s: any) => s.serviceId)).toEqual(catalogue.services.map((s: any) => s.serviceId));
  });

  it('a new revision updates by key, keeps ids and deactivates what the document no longer lists', async () => {
    const companyId = `${prefix}-b`;
    await sendSetup(producer, setupDoc(companyId));
    await waitFor(() => appliedFor(companyId).length >= 1, { message: 'applied' });
    const before = (await requester.ask({ operation: 'catalogue.get', companyId, callId: null })).data!.catalogue as any;

    const doc = setupDoc(companyId, { revision: 'rev-2' });
    doc.services = [{ ...doc.services[0], name: 'Erstberatung', durationMinutes: 60 }];
    doc.staff = [{ key: 'anna', name: 'Anna Berger', calcomUserId: 11, serviceKeys: ['beratung'] }];
    await sendSetup(producer, doc);
    await waitFor(() => appliedFor(companyId).length >= 2, { message: 'applied rev-2' });
    expect(appliedFor(companyId)[1].data).toMatchObject({ revision: 'rev-2', outcome: 'applied' });

    const after = (await requester.ask({ operation: 'catalogue.get', companyId, callId: null })).data!.catalogue as any;
    expect(after.revision).toBe('rev-2');
    expect(after.services).toHaveLength(1);
    expect(after.services[0]).toMatchObject({ serviceId: before.services[0].serviceId, name: 'Erstberatung', durationMinutes: 60 });
    expect(after.staff.map((s: any) => s.key)).toEqual(['anna']);
    expect(after.staff[0].serviceIds).toEqual([before.services[0].serviceId]);
  });

  it('refuses a document whose staff name a service it does not contain, and changes nothing', async () => {
    const companyId = `${prefix}-c`;
    const doc = setupDoc(companyId);
    doc.staff = [{ key: 'anna', name: 'Anna', calcomUserId: null, serviceKeys: ['massage'] }];
    await sendSetup(producer, doc);
    // A valid document sent after it on the same partition (same key) proves the bad one was passed over.
    await sendSetup(producer, setupDoc(companyId, { revision: 'rev-ok' }));
    await waitFor(() => appliedFor(companyId).length >= 1, { message: 'applied after the bad one' });
    expect(appliedFor(companyId).map((e) => e.data.revision)).toEqual(['rev-ok']);
  });

  it('answers catalogue.get for an unknown company with not_found and a malformed request with invalid_request', async () => {
    expect(await requester.ask({ operation: 'catalogue.get', companyId: `${prefix}-nobody`, callId: null })).toMatchObject({ ok: false, code: 'not_found' });
    const bad = await requester.ask({ operation: 'customer.lookup', companyId: `${prefix}-a`, callId: null, phone: '0301234' } as any);
    expect(bad).toMatchObject({ ok: false, code: 'invalid_request' });
    expect(bad.detail).toMatch(/^phone:/);
  });

  it("another instance's requests, however many are pending, do not hold up this instance's answers to its own", async () => {
    // Companies another instance serves (BOOKING_SERVE_COMPANIES): more requests than this one handles at once (64),
    // all still within their deadlines long after ours must be answered.
    // They are still pending (nobody answers them) when the requester stops.
    for (let i = 0; i < 100; i++) void requester.ask({ operation: 'catalogue.get', companyId: uniqueName('elsewhere'), callId: null }, 60_000).catch(() => undefined);
    const ours = await Promise.all([`${prefix}-a`, `${prefix}-b`].map((companyId) => requester.ask({ operation: 'catalogue.get', companyId, callId: null }, 10_000)));
    expect(ours.map((r) => [r.ok, (r.data?.catalogue as { companyId?: string } | undefined)?.companyId])).toEqual([
      [true, `${prefix}-a`],
      [true, `${prefix}-b`],
    ]);
  });
});
