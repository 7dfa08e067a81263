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
