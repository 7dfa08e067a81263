import { companyCountry, missingFields, normalisePhone, validateEmail, validateName } from './draft-fields';

describe('draft field validation', () => {
  it('accepts real names and rejects empty, placeholder and time-like ones', () => {
    expect(validateName(' Max  Muster ')).toEqual({ ok: true, value: 'Max Muster' });
    expect(validateName('Özlem Yılmaz-Schäfer')).toEqual({ ok: true, value: 'Özlem Yılmaz-Schäfer' });
    for (const bad of ['', ' ', 'X', 'Unbekannt', 'anonym', 'Anonymous', 'unknown', 'Gast', 'Kunde', 'n/a', '-', '14 Uhr', '12345']) {
      expect(validateName(bad)).toEqual({ ok: false, code: 'empty_name' });
    }
    expect(validateName(undefined)).toEqual({ ok: false, code: 'empty_name' });
  });

  it('normalises phones to E.164 with the company country', () => {
    const de = companyCountry({ timeZone: 'Europe/Berlin' });
    expect(de).toBe('DE');
    expect(normalisePhone('+49 30 1234567', de)).toEqual({ ok: true, value: '+49301234567' });
    expect(normalisePhone('030 1234567', de)).toEqual({ ok: true, value: '+49301234567' });
    expect(normalisePhone('0049 30 1234567', de)).toEqual({ ok: true, value: '+49301234567' });
    expect(normalisePhone('plus 49 30 1234567', de)).toEqual({ ok: true, value: '+49301234567' });
    expect(normalisePhone('+1 (555) 123-4567', de)).toEqual({ ok: true, value: '+15551234567' });
    expect(normalisePhone('+1 212 555 0142', de)).toEqual({ ok: true, value: '+12125550142' });
    expect(normalisePhone('not-a-phone', de)).toEqual({ ok: false, code: 'invalid_phone' });
    expect(normalisePhone('123', de)).toEqual({ ok: false, code: 'invalid_phone' });
    expect(normalisePhone('anonymous', de)).toEqual({ ok: false, code: 'invalid_phone' });
    // The company's own line decides the country of national numbers.
    expect(companyCountry({ timeZone: 'Europe/Berlin' }, '+43 1 234567')).toBe('AT');
    expect(normalisePhone('01 234567', 'AT')).toEqual({ ok: true, value: '+431234567' });
  });

  it('validates e-mail addresses', () => {
    expect(validateEmail('Max.Muster@Beispiel.de')).toEqual({ ok: true, value: 'max.muster@beispiel.de' });
    expect(validateEmail('max muster@beispiel.de')).toEqual({ ok: true, value: 'maxmuster@beispiel.de' });
    for (const bad of ['max', 'max@', 'max@beispiel', '@beispiel.de', 'max@@beispiel.de']) expect(validateEmail(bad)).toEqual({ ok: false, code: 'invalid_email' });
  });

  it('says what is still missing, in the order to ask', () => {
    const empty = { serviceId: null, wishDate: null, wishTime: null, customerName: null, phone: null };
    expect(missingFields(empty)).toEqual(['service', 'date', 'time', 'name', 'phone']);
    expect(missingFields({ ...empty, serviceId: 's', wishDate: '2025-11-03', phone: '+49301234567' })).toEqual(['time', 'name']);
    expect(missingFields({ serviceId: 's', wishDate: '2025-11-03', wishTime: '14:30', customerName: 'Max', phone: '+49301234567' })).toEqual([]);
  });
});
