import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

const en = {
  appConsole: 'Receptionist console',
  appPortal: 'Appointments portal',
  skipToContent: 'Skip to content',
  language: 'Language',
  signIn: 'Sign in',
  signOut: 'Sign out',
  signingIn: 'Signing in…',
  email: 'E-mail',
  phone: 'Phone number',
  password: 'Password',
  signInFailed: 'E-mail or password is not right.',
  sessionExpired: 'Your session has ended. Please sign in again.',
  loading: 'Loading…',
  retry: 'Try again',
  notFound: 'Not found',
  notFoundText: 'This page does not exist, or it belongs to another company.',
  company: 'Company',
  navDashboard: 'Dashboard',
  navCalls: 'Calls',
  navAppointments: 'Appointments',
  navBilling: 'Billing',
  navSettings: 'Settings',
  mainNavigation: 'Main navigation',
  callsToday: 'Calls today',
  noCallsToday: 'No calls today yet.',
  balance: 'Balance',
  balanceState: 'State',
  state_ok: 'OK',
  state_low: 'Low',
  state_exhausted: 'Exhausted',
  lowBalanceAlert: 'The balance is low: top up so that calls keep being answered.',
  exhaustedAlert: 'The balance is used up.',
  topUp: 'Top up',
  topUpAmount: 'Amount (€)',
  topUpGo: 'Continue to payment',
  topUpDone: 'Thank you: the payment went through. The balance shows the credit as soon as Stripe confirms it.',
  topUpCancelled: 'The payment was cancelled; nothing was charged.',
  ledger: 'Ledger',
  invoices: 'Invoices',
  noInvoices: 'No invoices yet.',
  period: 'Period',
  invoiceNumber: 'Number',
  when: 'When',
  what: 'What',
  amount: 'Amount',
  caller: 'Caller',
  started: 'Started',
  duration: 'Duration',
  outcome: 'Outcome',
  status: 'Status',
  allOutcomes: 'All outcomes',
  filter: 'Filter',
  from: 'From',
  to: 'To',
  more: 'Load more',
  noCalls: 'No calls match.',
  call: 'Call',
  summary: 'Summary',
  sentiment: 'Sentiment',
  transcript: 'Transcript',
  recording: 'Recording',
  noRecording: 'No recording stored for this call.',
  functionsCalled: 'What the agent did',
  appointmentsMade: 'Appointments made',
  agent: 'Agent',
  customer: 'Caller',
  backToCalls: 'All calls',
  appointments: 'Appointments',
  upcoming: 'Upcoming',
  past: 'Past',
  noAppointments: 'No appointments.',
  service: 'Service',
  staff: 'Staff',
  start: 'Start',
  cancel: 'Cancel',
  cancelAppointment: 'Cancel appointment',
  confirmCancel: 'Cancel this appointment?',
  move: 'Move',
  moveTo: 'New time',
  chooseTime: 'Choose a free time',
  noFreeTimes: 'No free times in the next two weeks.',
  save: 'Save',
  saved: 'Saved.',
  cancelled: 'Cancelled.',
  moved: 'Moved.',
  book: 'Book',
  bookNew: 'Book a new appointment',
  booked: 'Booked.',
  settings: 'Settings',
  apiTokens: 'API tokens',
  tokenName: 'Name',
  createToken: 'Create token',
  tokenShownOnce: 'Copy this token now; it is shown only once:',
  revoke: 'Revoke',
  webhooks: 'Callback webhooks',
  webhookUrl: 'URL',
  events: 'Events',
  addWebhook: 'Add webhook',
  secretShownOnce: 'The signing secret, shown only once:',
  deliveries: 'Deliveries',
  noDeliveries: 'No deliveries yet.',
  sendTest: 'Send a test',
  rotateSecret: 'New secret',
  remove: 'Remove',
  attempts: 'Attempts',
  registerTitle: 'Create your account',
  register: 'Create account',
  passwordHint: 'At least 12 characters.',
  invitationMissing: 'This link has no invitation in it. Please open the link from your invitation again.',
  registered: 'Your account is ready. Sign in below.',
  welcome: 'Welcome',
  policyNote: 'Changes are possible until the notice period before the appointment.',
  outcome_ongoing: 'In progress',
  outcome_not_connected: 'Not connected',
  outcome_booked: 'Booked',
  outcome_voicemail: 'Voicemail',
  outcome_error: 'Error',
  outcome_completed: 'Completed',
  status_booked: 'Booked',
  status_cancelled: 'Cancelled',
  status_completed: 'Completed',
  status_no_show: 'No-show',
} as const;

type Key = keyof typeof en;
const de: Record<Key, string> = {
  appConsole: 'Rezeptions-Konsole',
  appPortal: 'Terminportal',
  skipToContent: 'Zum Inhalt springen',
  language: 'Sprache',
  signIn: 'Anmelden',
  signOut: 'Abmelden',
  signingIn: 'Anmeldung…',
  email: 'E-Mail',
  phone: 'Telefonnummer',
  password: 'Passwort',
  signInFailed: 'E-Mail oder Passwort stimmt nicht.',
  sessionExpired: 'Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.',
  loading: 'Wird geladen…',
  retry: 'Erneut versuchen',
  notFound: 'Nicht gefunden',
  notFoundText: 'Diese Seite gibt es nicht, oder sie gehört zu einem anderen Unternehmen.',
  company: 'Unternehmen',
  navDashboard: 'Übersicht',
  navCalls: 'Anrufe',
  navAppointments: 'Termine',
  navBilling: 'Abrechnung',
  navSettings: 'Einstellungen',
  mainNavigation: 'Hauptnavigation',
  callsToday: 'Anrufe heute',
  noCallsToday: 'Heute noch keine Anrufe.',
  balance: 'Guthaben',
  balanceState: 'Status',
  state_ok: 'In Ordnung',
  state_low: 'Niedrig',
  state_exhausted: 'Aufgebraucht',
  lowBalanceAlert: 'Das Guthaben ist niedrig: Laden Sie auf, damit weiter Anrufe angenommen werden.',
  exhaustedAlert: 'Das Guthaben ist aufgebraucht.',
  topUp: 'Aufladen',
  topUpAmount: 'Betrag (€)',
  topUpGo: 'Weiter zur Zahlung',
  topUpDone: 'Danke: Die Zahlung ist erfolgt. Das Guthaben zeigt sie, sobald Stripe sie bestätigt.',
  topUpCancelled: 'Die Zahlung wurde abgebrochen; nichts wurde belastet.',
  ledger: 'Buchungen',
  invoices: 'Rechnungen',
  noInvoices: 'Noch keine Rechnungen.',
  period: 'Zeitraum',
  invoiceNumber: 'Nummer',
  when: 'Wann',
  what: 'Was',
  amount: 'Betrag',
  caller: 'Anrufer',
  started: 'Beginn',
  duration: 'Dauer',
  outcome: 'Ergebnis',
  status: 'Status',
  allOutcomes: 'Alle Ergebnisse',
  filter: 'Filtern',
  from: 'Von',
  to: 'Bis',
  more: 'Mehr laden',
  noCalls: 'Keine passenden Anrufe.',
  call: 'Anruf',
  summary: 'Zusammenfassung',
  sentiment: 'Stimmung',
  transcript: 'Gesprächsverlauf',
  recording: 'Aufnahme',
  noRecording: 'Für diesen Anruf ist keine Aufnahme gespeichert.',
  functionsCalled: 'Was der Agent getan hat',
  appointmentsMade: 'Gebuchte Termine',
  agent: 'Agent',
  customer: 'Anrufer',
  backToCalls: 'Alle Anrufe',
  appointments: 'Termine',
  upcoming: 'Kommende',
  past: 'Vergangene',
  noAppointments: 'Keine Termine.',
  service: 'Leistung',
  staff: 'Mitarbeiter',
  start: 'Beginn',
  cancel: 'Stornieren',
  cancelAppointment: 'Termin stornieren',
  confirmCancel: 'Diesen Termin stornieren?',
  move: 'Verschieben',
  moveTo: 'Neue Zeit',
  chooseTime: 'Freie Zeit wählen',
  noFreeTimes: 'In den nächsten zwei Wochen ist nichts frei.',
  save: 'Speichern',
  saved: 'Gespeichert.',
  cancelled: 'Storniert.',
  moved: 'Verschoben.',
  book: 'Buchen',
  bookNew: 'Neuen Termin buchen',
  booked: 'Gebucht.',
  settings: 'Einstellungen',
  apiTokens: 'API-Tokens',
  tokenName: 'Name',
  createToken: 'Token erstellen',
  tokenShownOnce: 'Kopieren Sie dieses Token jetzt; es wird nur einmal angezeigt:',
  revoke: 'Widerrufen',
  webhooks: 'Callback-Webhooks',
  webhookUrl: 'URL',
  events: 'Ereignisse',
  addWebhook: 'Webhook hinzufügen',
  secretShownOnce: 'Das Signatur-Secret, nur einmal angezeigt:',
  deliveries: 'Zustellungen',
  noDeliveries: 'Noch keine Zustellungen.',
  sendTest: 'Test senden',
  rotateSecret: 'Neues Secret',
  remove: 'Entfernen',
  attempts: 'Versuche',
  registerTitle: 'Konto anlegen',
  register: 'Konto anlegen',
  passwordHint: 'Mindestens 12 Zeichen.',
  invitationMissing: 'Dieser Link enthält keine Einladung. Bitte öffnen Sie den Link aus Ihrer Einladung erneut.',
  registered: 'Ihr Konto ist bereit. Melden Sie sich unten an.',
  welcome: 'Willkommen',
  policyNote: 'Änderungen sind bis zur Frist vor dem Termin möglich.',
  outcome_ongoing: 'Läuft',
  outcome_not_connected: 'Nicht verbunden',
  outcome_booked: 'Gebucht',
  outcome_voicemail: 'Mailbox',
  outcome_error: 'Fehler',
  outcome_completed: 'Beendet',
  status_booked: 'Gebucht',
  status_cancelled: 'Storniert',
  status_completed: 'Wahrgenommen',
  status_no_show: 'Nicht erschienen',
};

export type Lang = 'de' | 'en';
const dictionaries: Record<Lang, Record<Key, string>> = { en, de };
const STORAGE = 'receptionist.lang';

/** The browser's language unless the user picked one (kept in localStorage). */
function initialLang(): Lang {
  const saved = localStorage.getItem(STORAGE);
  if (saved === 'de' || saved === 'en') return saved;
  return navigator.languages.some((l) => l.toLowerCase().startsWith('de')) && !navigator.language.toLowerCase().startsWith('en') ? 'de' : 'en';
}

interface I18n {
  lang: Lang;
  setLang: (l: Lang) => void;
  t: (key: Key) => string;
  /** A translated label for a value the API names (an outcome, a status); the value itself when unknown. */
  label: (prefix: 'outcome' | 'status', value: string) => string;
  dateTime: (iso: string | null | undefined) => string;
  /** "Wed, 9 Dec" and "11:00" in the viewer's language (and time zone). */
  day: (iso: string) => string;
  time: (iso: string) => string;
  money: (minor: number | null | undefined, currency?: string) => string;
}
const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const value = useMemo<I18n>(() => {
    const locale = lang === 'de' ? 'de-DE' : 'en-GB';
    const dt = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
    return {
      lang,
      setLang: (l) => {
        localStorage.setItem(STORAGE, l);
        setLangState(l);
      },
      t: (key) => dictionaries[lang][key] ?? key,
      label: (prefix, value) => (dictionaries[lang] as Record<string, string>)[`${prefix}_${value}`] ?? value,
      dateTime: (iso) => (iso ? dt.format(new Date(iso)) : '–'),
      day: (iso) => new Intl.DateTimeFormat(locale, { weekday: 'short', day: 'numeric', month: 'short' }).format(new Date(iso)),
      time: (iso) => new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(new Date(iso)),
      money: (minor, currency = 'EUR') => (minor === null || minor === undefined ? '–' : new Intl.NumberFormat(locale, { style: 'currency', currency }).format(minor / 100)),
    };
  }, [lang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(I18nContext);
  if (!v) throw new Error('I18nProvider missing');
  return v;
}

export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <label className="lang">
      <span>{t('language')}</span>
      <select value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
        <option value="de">Deutsch</option>
        <option value="en">English</option>
      </select>
    </label>
  );
}
