export type AlertFacts =
  | { kind: 'balance_low'; balance: number; threshold: number; currency: string }
  | { kind: 'delivery_failures'; failures: number; windowMinutes: number; lastError: string }
  | { kind: 'dead_letter'; topic: string; reason: string; messageId: string | null }
  | { kind: 'plan_payment_overdue'; amountDue: number; currency: string; graceEndsAt: string; reminder: number; planCode: string };

export interface AlertTexts {
  subject: string;
  body: string;
  operatorText: string;
}

/** Minor units → "8,50 €" / "€8.50" in the company's language. */
function money(minor: number, currency: string, language: string): string {
  // Intl separates with (narrow) no-break spaces, which are not in the GSM alphabet and would double an SMS's cost.
  return new Intl.NumberFormat(language === 'de' ? 'de-DE' : 'en-GB', { style: 'currency', currency }).format(minor / 100).replace(/[\u00a0\u202f]/g, ' ');
}

/**
 * The alert's texts: for the company's admins in the company's language (German or English; short, SMS-sized), and
 * for operators in English with the company named.
 */
export function composeAlert(facts: AlertFacts, company: { id: string; name: string | null; language: string }): AlertTexts {
  const de = company.language.split('-')[0] === 'de';
  const who = company.name ? `${company.name} (${company.id})` : company.id || 'no company';
  switch (facts.kind) {
    case 'balance_low': {
      const m = (v: number) => money(v, facts.currency, de ? 'de' : 'en');
      return de
        ? {
            subject: 'Guthaben niedrig',
            body: `Ihr Guthaben beträgt nur noch ${m(facts.balance)} (Warnschwelle ${m(facts.threshold)}). Bitte laden Sie auf, damit Anrufe weiter angenommen werden.`,
            operatorText: `:warning: balance.low: ${who} has ${money(facts.balance, facts.currency, 'en')} left (threshold ${money(facts.threshold, facts.currency, 'en')}).`,
          }
        : {
            subject: 'Balance low',
            body: `Your balance is down to ${m(facts.balance)} (warning threshold ${m(facts.threshold)}). Please top up so calls keep being answered.`,
            operatorText: `:warning: balance.low: ${who} has ${m(facts.balance)} left (threshold ${m(facts.threshold)}).`,
          };
    }
    case 'delivery_failures':
      return {
        subject: de ? 'Nachrichten werden nicht zugestellt' : 'Messages are not delivered',
        body: de
          ? `${facts.failures} Nachrichten an Ihre Kunden sind nacheinander fehlgeschlagen (zuletzt: ${facts.lastError}). Bitte prüfen Sie Absender und Einstellungen.`
          : `${facts.failures} messages to your customers failed in a row (last: ${facts.lastError}). Please check your sender and settings.`,
        operatorText: `:rotating_light: ${facts.failures} permanent delivery failures in a row within ${facts.windowMinutes} min for ${who}; last: ${facts.lastError}`,
      };
    case 'plan_payment_overdue': {
      const m = (v: number) => money(v, facts.currency, de ? 'de' : 'en');
      const until = new Date(facts.graceEndsAt).toISOString().slice(0, 16).replace('T', ' ');
      return {
        subject: de ? `Zahlung fehlgeschlagen (Erinnerung ${facts.reminder})` : `Payment failed (reminder ${facts.reminder})`,
        body: de
          ? `Die Zahlung für Ihren Tarif ${facts.planCode} (${m(facts.amountDue)}) ist fehlgeschlagen. Bitte zahlen Sie bis ${until} UTC im Kundenportal, sonst werden Anrufe abgewiesen.`
          : `The payment for your plan ${facts.planCode} (${m(facts.amountDue)}) failed. Please pay by ${until} UTC in the billing portal, or calls will be refused.`,
        operatorText: `:credit_card: plan payment overdue for ${who}: ${money(facts.amountDue, facts.currency, 'en')} (${facts.planCode}), reminder ${facts.reminder}, calls refused from ${until} UTC.`,
      };
    }
    case 'dead_letter':
      return {
        subject: de ? 'Nachricht nicht verarbeitet' : 'Message not processed',
        body: de
          ? `Eine Kundenbenachrichtigung konnte nicht erstellt werden (${facts.reason}). Der Kunde hat evtl. keine Nachricht erhalten.`
          : `A customer notification could not be prepared (${facts.reason}). The customer may not have been notified.`,
        operatorText: `:x: notification dead-lettered a ${facts.topic} message${facts.messageId ? ` (${facts.messageId})` : ''} for ${who}: ${facts.reason}`,
      };
  }
}
