/**
 * Texts of the one-time links sent to a company's team members (invitations, password resets), in German or English
 * (German for `de*`, English otherwise). E-mails have a subject and a plain-text body; SMS are one short line.
 */
export type TeamMessageKind = 'team_invitation' | 'password_reset';

export interface TeamMessageFacts {
  name: string;
  companyName: string | null;
  link: string;
  expiresAt: string;
  language: string;
}

export interface ComposedTeamMessage {
  subject: string;
  text: string;
  sms: string;
}

function until(iso: string, german: boolean): string {
  // The recipient's time zone is unknown here; UTC, said so, is never wrong.
  const formatted = new Intl.DateTimeFormat(german ? 'de-DE' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(iso));
  return `${formatted} UTC`;
}

export function composeTeamMessage(kind: TeamMessageKind, f: TeamMessageFacts): ComposedTeamMessage {
  const de = f.language.toLowerCase().startsWith('de');
  const company = f.companyName ?? (de ? 'Ihr Unternehmen' : 'your company');
  const expires = until(f.expiresAt, de);
  if (kind === 'team_invitation') {
    return de
      ? {
          subject: `Einladung ins Team von ${company}`,
          text: `Hallo ${f.name},\n\nSie wurden eingeladen, dem Team von ${company} beizutreten. Legen Sie über diesen Link Ihr Passwort fest (gültig bis ${expires}, nur einmal verwendbar):\n\n${f.link}\n\nWenn Sie diese Einladung nicht erwartet haben, ignorieren Sie diese E-Mail.`,
          sms: `${company}: Sie wurden ins Team eingeladen. Passwort festlegen (bis ${expires}): ${f.link}`,
        }
      : {
          subject: `You are invited to join ${company}`,
          text: `Hello ${f.name},\n\nYou have been invited to join the team of ${company}. Set your password with this link (valid until ${expires}, usable once):\n\n${f.link}\n\nIf you did not expect this invitation, ignore this e-mail.`,
          sms: `${company}: you are invited to join the team. Set your password (until ${expires}): ${f.link}`,
        };
  }
  return de
    ? {
        subject: 'Passwort zurücksetzen',
        text: `Hallo ${f.name},\n\nüber diesen Link legen Sie ein neues Passwort fest (gültig bis ${expires}, nur einmal verwendbar):\n\n${f.link}\n\nWenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail; Ihr Passwort bleibt unverändert.`,
        sms: `Neues Passwort festlegen (bis ${expires}): ${f.link}`,
      }
    : {
        subject: 'Reset your password',
        text: `Hello ${f.name},\n\nset a new password with this link (valid until ${expires}, usable once):\n\n${f.link}\n\nIf you did not ask for this, ignore this e-mail; your password stays as it is.`,
        sms: `Set a new password (until ${expires}): ${f.link}`,
      };
}
