import { booleanish, readArgs, repairSpokenEmail } from './function-args';
import { normaliseFunctionName } from '@receptionist/contracts';

describe('function names', () => {
  it.each([
    ['initialize_call', 'initialize_call'],
    ['get_current_context', 'initialize_call'],
    ['check_customer', 'initialize_call'],
    ['check_availability_v17', 'check_availability'],
    ['Check_Availability_V123', 'check_availability'],
    ['get_alternatives', 'check_availability'],
    ['collect_appointment_data', 'collect_appointment'],
    ['collect-appointment', 'collect_appointment'],
    ['start_booking', 'book_appointment'],
    ['confirm_booking', 'book_appointment'],
    ['book_appointment_v4', 'book_appointment'],
    ['query_appointment', 'get_customer_appointments'],
    ['query_appointment_by_name', 'get_customer_appointments'],
    ['cancel_appointment', 'cancel_appointment'],
    ['reschedule_appointment_v2', 'reschedule_appointment'],
    ['get_available_services', 'list_services'],
    ['request_callback', 'request_callback'],
    [' book appointment ', 'book_appointment'],
    ['parse_date_v17', 'parse_date'],
    ['get_opening_hours', 'get_opening_hours'],
    ['get_business_hours', 'get_opening_hours'],
    ['get_service_info', 'get_service_info'],
    ['reserve_slot', 'reserve_slot'],
    ['hold_slot', 'reserve_slot'],
    ['release_slot_reservation', 'release_slot_reservation'],
    ['release_slot', 'release_slot_reservation'],
  ])('%s → %s', (raw, expected) => {
    expect(normaliseFunctionName(raw)).toBe(expected);
  });

  it('knows nothing else', () => {
    expect(normaliseFunctionName('transfer_call')).toBeNull();
    expect(normaliseFunctionName('drop_tables')).toBeNull();
    expect(normaliseFunctionName('v17')).toBeNull();
    expect(normaliseFunctionName('')).toBeNull();
    expect(normaliseFunctionName(42)).toBeNull();
  });
});

describe('function arguments', () => {
  it('reads the German names and the English aliases into one shape', () => {
    expect(readArgs({ datum: 'morgen', uhrzeit: '14 Uhr', dienstleistung: 'Beratung', name: 'Max Muster', telefon: '030 1234567', mitarbeiter: 'Anna', bestaetigung: 'ja', notizen: 'erstes Mal' })).toEqual({
      date: 'morgen', time: '14 Uhr', service: 'Beratung', name: 'Max Muster', phone: '030 1234567', staff: 'Anna', confirm: true, notes: 'erstes Mal',
    });
    expect(readArgs({ appointment_date: '2025-11-03', appointment_time: '14:30', service_name: 'Cut', customer_name: 'Jo Doe', customer_email: 'jo@example.com', customer_phone: '+44 20 7946 0958', preferred_staff_id: 's1', confirm_booking: false })).toEqual({
      date: '2025-11-03', time: '14:30', service: 'Cut', name: 'Jo Doe', email: 'jo@example.com', phone: '+44 20 7946 0958', staff: 's1', confirm: false,
    });
    expect(readArgs({ termin_id: 'a1', new_datum: 'Freitag', new_uhrzeit: '10 Uhr', old_date: 'Montag', grund: 'krank', 'Bestätigung': 'true' })).toEqual({
      appointmentId: 'a1', newDate: 'Freitag', newTime: '10 Uhr', oldDate: 'Montag', reason: 'krank', confirm: true,
    });
    expect(readArgs({ datetime: '2025-11-03T14:30:00+01:00', service_id: 'svc-1', appointment_id: 'x', new_date: '4.11.', new_time: '9' })).toMatchObject({
      datetime: '2025-11-03T14:30:00+01:00', service: 'svc-1', appointmentId: 'x', newDate: '4.11.', newTime: '9',
    });
  });

  it('drops unfilled template variables and null-ish values, keeps date placeholders, first alias wins', () => {
    expect(readArgs({ name: '{{customer_name}}', email: 'null', telefon: '', datum: '{{current_date}}', uhrzeit: 14 })).toEqual({ date: '{{current_date}}', time: '14' });
    expect(readArgs({ datum: 'heute', date: 'morgen' })).toEqual({ date: 'heute' });
    expect(readArgs({ call_id: 'abc', unknown_thing: 'x' })).toEqual({});
  });

  it('reads boolean-ish confirmations', () => {
    expect([true, 'true', 'ja', 'Yes', 1, '1', 'bestätigt'].map(booleanish)).toEqual([true, true, true, true, true, true, true]);
    expect([false, 'false', 'nein', 'No', 0].map(booleanish)).toEqual([false, false, false, false, false]);
    expect(booleanish('vielleicht')).toBeNull();
    expect(booleanish(undefined)).toBeUndefined();
  });

  it('repairs e-mail addresses as speech-to-text writes them', () => {
    expect(repairSpokenEmail('max punkt muster at beispiel punkt de')).toBe('max.muster@beispiel.de');
    expect(repairSpokenEmail('anna (at) example dot com')).toBe('anna@example.com');
    expect(repairSpokenEmail('Jo Unterstrich Doe ät web.de')).toBe('jo_doe@web.de');
    expect(repairSpokenEmail('jo@example.com')).toBe('jo@example.com');
    expect(readArgs({ email: 'max punkt muster at beispiel punkt de' }).email).toBe('max.muster@beispiel.de');
  });
});
