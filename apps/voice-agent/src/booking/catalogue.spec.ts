import { Catalogue } from './booking-data';
import { matchService, matchStaff } from './catalogue';

const service = (serviceId: string, name: string, aliases: string[] = []) => ({ serviceId, key: serviceId, name, aliases, durationMinutes: 30, priceMinor: null, staffIds: [] });
const catalogue = {
  services: [
    service('damen', 'Damenhaarschnitt'),
    service('herren', 'Herrenhaarschnitt', ['Männerhaarschnitt']),
    service('faerben', 'Färben', ['Haare färben']),
    service('fs', 'Färben + Schneiden'),
  ],
  staff: [
    { staffId: 'anna', key: 'anna', name: 'Anna Berger', serviceIds: [] },
    { staffId: 'ben', key: 'ben', name: 'Ben Koch', serviceIds: [] },
  ],
  branches: [],
  transferNumbers: [],
} as unknown as Catalogue;
const one = (q: string) => {
  const m = matchService(q, catalogue);
  return m.kind === 'one' ? m.item.name : m.kind === 'several' ? m.items.map((i) => i.name) : null;
};

describe('service names as callers say them', () => {
  it.each([
    ['Herrenhaarschnitt', 'Herrenhaarschnitt'],
    ['Haarschnitt Herren', 'Herrenhaarschnitt'],
    ['Herren Schnitt', 'Herrenhaarschnitt'],
    ['herren haarschnitt bitte', 'Herrenhaarschnitt'],
    ['Herenhaarschnit', 'Herrenhaarschnitt'],
    ['männerhaarschnitt', 'Herrenhaarschnitt'],
    ['Schnitt Damen', 'Damenhaarschnitt'],
    ['Färben und Schneiden', 'Färben + Schneiden'],
    ['Schneiden und Färben', 'Färben + Schneiden'],
    ['einen Termin zum Färben', 'Färben'],
  ])('%s → %s', (q, expected) => expect(one(q)).toBe(expected));

  it('asks back between close candidates, and knows nothing it should not', () => {
    expect(one('Haarschnitt')).toEqual(['Damenhaarschnitt', 'Herrenhaarschnitt']);
    expect(one('Schnitt')).toEqual(['Damenhaarschnitt', 'Herrenhaarschnitt']);
    expect(one('Zahnreinigung')).toBeNull();
  });

  it('finds staff by first or last name, with "bei" and titles', () => {
    const staff = (q: string) => {
      const m = matchStaff(q, catalogue);
      return m.kind === 'one' ? m.item.name : m.kind;
    };
    expect(staff('Anna')).toBe('Anna Berger');
    expect(staff('bei Anna')).toBe('Anna Berger');
    expect(staff('Herr Koch')).toBe('Ben Koch');
    expect(staff('Mario')).toBe('none');
  });
});
