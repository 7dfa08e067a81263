/** What the pages read from the API's answers (the document does not describe response bodies yet). */
export interface CallSummary {
  callId: string;
  fromNumber: string | null;
  toNumber: string | null;
  status: string;
  outcome: string;
  startedAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  summary?: string | null;
  sentiment?: string | null;
}
export interface CallRecord extends CallSummary {
  transcript: string | null;
  turns: { role: string; content: string; startSeconds?: number }[] | null;
  analysis: { summary: string | null; sentiment: string | null; successful: boolean | null } | null;
  recording: { status: string; sizeBytes: number | null } | null;
  functions: { name: string; success: boolean; code: string | null; durationMs: number; calledAt: string }[];
  bookingIds: string[];
}
export interface Page<T> {
  data: T[];
  next: string | number | null;
}
export interface Balance {
  currency: string;
  balance: number;
  bonus: number;
  paid: number;
  state: 'ok' | 'low' | 'exhausted';
  lowBalanceThreshold: number | null;
  autoTopUp: boolean;
}
export interface LedgerEntry {
  seq: number;
  kind: string;
  amount: number;
  balanceAfter: number;
  currency: string;
  reference: string;
  description: string | null;
  occurredAt: string;
}
export interface ApiToken {
  id: string;
  name: string;
  abilities: string[];
  expiresAt: string | null;
  lastUsedAt?: string | null;
  createdAt?: string;
}
export interface Invoice {
  invoiceId: string;
  period: string;
  status: string;
  number: string | null;
  currency: string;
  total: number;
  hostedInvoiceUrl: string | null;
  pdfUrl: string | null;
  createdAt: string;
}
export interface AppointmentSummary {
  appointmentId: string;
  serviceId: string;
  serviceName: string;
  staffId: string | null;
  staffName: string | null;
  startsAt: string;
  endsAt: string;
  status: 'booked' | 'cancelled' | 'no_show' | 'completed';
  source: string;
  callId: string | null;
  customer: { customerId: string; name: string; phone: string | null; email: string | null } | null;
  notes: string | null;
  cancellationReason: string | null;
}
export type HistoryEntry = { at: string; kind: string; source?: string; callId?: string | null; from?: string; to?: string | null; reason?: string | null; by?: string | null; action?: string; allowed?: boolean; rule?: string };
export interface AppointmentRecord extends AppointmentSummary {
  history: HistoryEntry[];
}
export interface Catalogue {
  timeZone: string | null;
  services: { serviceId: string; name: string; durationMinutes: number; priceMinor: number | null; staffIds: string[] }[];
  staff: { staffId: string; name: string }[];
}
export interface FreeTimes {
  starts: string[];
}
export interface Customer {
  customerId: string;
  name: string;
  phone: string | null;
  email: string | null;
  language: string | null;
  mergedInto: string | null;
}
export interface CustomerRecord extends Customer {
  appointments: AppointmentSummary[];
  calls: CallSummary[] | null;
}
