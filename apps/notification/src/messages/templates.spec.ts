import { BUILT_IN_TEMPLATES, formatAppointment, render } from './templates';
import { classifyKeyword } from './twilio-events.handler';

describe('templates', () => {
  const startsAt = new Date('2025-12-02T13:30:00Z'); // 14:30 in Berlin

  it('renders the German confirmation with the date and time on the company clock', () => {
    const when = formatAppointment(startsAt, 'Europe/Berlin', 'de');
    expect(when).toEqual({ date: 'Dienstag, 2. Dezember 2025', time: '14:30' });
    expect(render(BUILT_IN_TEMPLATES.de.confirmation, { customer_name: 'Max', service_name: 'Haarschnitt', company_name: 'Salon Sonne', ...when })).toBe(
      'Hallo Max, Ihr Termin für Haarschnitt bei Salon Sonne am Dienstag, 2. Dezember 2025 um 14:30 Uhr ist bestätigt. Abmelden: STOP',
    );
  });

  it('leaves out the company part while the company name is unknown', () => {
    const when = formatAppointment(startsAt, 'Europe/Berlin', 'en');
    expect(render(BUILT_IN_TEMPLATES.en.reminder, { customer_name: 'Jane', service_name: 'Cut', company_name: null, ...when })).toBe(
      'Reminder: hello Jane, your appointment for Cut is on Tuesday, 2 December 2025 at 14:30. Reply STOP to opt out.',
    );
  });

  it("keeps the customer's own locale (12-hour clock in en-US) and the company's zone", () => {
    expect(formatAppointment(startsAt, 'America/New_York', 'en-US')).toEqual({ date: 'Tuesday, December 2, 2025', time: '08:30 AM' });
  });
});

describe('opt-out keywords', () => {
  it("recognises Twilio's keywords (answered by Twilio) and German ones (answered by us)", () => {
    expect(classifyKeyword(' stop ')).toEqual({ intent: 'stop', answeredByTwilio: true, keyword: 'STOP' });
    expect(classifyKeyword('Stopp!')).toEqual({ intent: 'stop', answeredByTwilio: false, keyword: 'STOPP' });
    expect(classifyKeyword('abmelden')).toMatchObject({ intent: 'stop', answeredByTwilio: false });
    expect(classifyKeyword('START')).toMatchObject({ intent: 'start', answeredByTwilio: true });
    expect(classifyKeyword('Anmelden')).toMatchObject({ intent: 'start', answeredByTwilio: false });
    expect(classifyKeyword('Bitte nicht mehr stoppen, danke')).toBeNull();
  });
});
