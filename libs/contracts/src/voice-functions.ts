/**
 * The functions the voice agent answers, and every name existing Retell agents call them by (seed-behaviour
 * §4): lower-cased, spaces and dashes as underscores, a `_vNN` version suffix stripped, then aliases. The one
 * table of function names: the gateway's fixed routes and voice-agent's dispatch both read it.
 */
export const VOICE_FUNCTIONS = [
  'initialize_call',
  'check_availability',
  'collect_appointment',
  'book_appointment',
  'get_customer_appointments',
  'cancel_appointment',
  'reschedule_appointment',
  'list_services',
  'request_callback',
  'parse_date',
  'get_opening_hours',
  'get_service_info',
  'reserve_slot',
  'release_slot_reservation',
  'transfer_to_human',
] as const;
export type VoiceFunction = (typeof VOICE_FUNCTIONS)[number];

const ALIASES: Record<string, VoiceFunction> = {
  get_current_context: 'initialize_call',
  current_context: 'initialize_call',
  check_customer: 'initialize_call',
  init_call: 'initialize_call',
  initialize: 'initialize_call',
  get_alternatives: 'check_availability',
  find_next_available: 'check_availability',
  check_slot: 'check_availability',
  collect_appointment_data: 'collect_appointment',
  collect_appointment_info: 'collect_appointment',
  start_booking: 'book_appointment',
  confirm_booking: 'book_appointment',
  create_appointment: 'book_appointment',
  book: 'book_appointment',
  query_appointment: 'get_customer_appointments',
  // Answered from the caller's number only; the name is never used to find someone (seed §4 "Fix: refuse").
  query_appointment_by_name: 'get_customer_appointments',
  get_appointments: 'get_customer_appointments',
  list_appointments: 'get_customer_appointments',
  cancel_booking: 'cancel_appointment',
  reschedule_booking: 'reschedule_appointment',
  move_appointment: 'reschedule_appointment',
  get_available_services: 'list_services',
  get_services: 'list_services',
  callback_request: 'request_callback',
  parse_datetime: 'parse_date',
  datetime: 'parse_date',
  date_parse: 'parse_date',
  opening_hours: 'get_opening_hours',
  get_business_hours: 'get_opening_hours',
  business_hours: 'get_opening_hours',
  oeffnungszeiten: 'get_opening_hours',
  service_info: 'get_service_info',
  get_service_details: 'get_service_info',
  service_details: 'get_service_info',
  hold_slot: 'reserve_slot',
  reserve_appointment_slot: 'reserve_slot',
  release_slot: 'release_slot_reservation',
  release_reservation: 'release_slot_reservation',
  cancel_slot_reservation: 'release_slot_reservation',
  transfer_to_staff: 'transfer_to_human',
  human_handoff: 'transfer_to_human',
  handoff_to_human: 'transfer_to_human',
  speak_to_human: 'transfer_to_human',
  connect_to_human: 'transfer_to_human',
  mitarbeiter_verbinden: 'transfer_to_human',
};

const KNOWN = new Set<string>(VOICE_FUNCTIONS);

/** `Start_Booking_v17` → `book_appointment`; unknown names → null. */
export function normaliseFunctionName(raw: unknown): VoiceFunction | null {
  if (typeof raw !== 'string') return null;
  const name = raw
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_')
    .replace(/_v\d+$/, '');
  if (KNOWN.has(name)) return name as VoiceFunction;
  return ALIASES[name] ?? null;
}
