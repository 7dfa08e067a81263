import { createVerify, generateKeyPairSync } from 'node:crypto';
import { notificationSetupSchema } from '@receptionist/contracts';
import type { NotificationEnv } from '../config';
import { notificationEnvSchema } from '../config';
import { composeAlert } from './alert-texts';
import { companyAlertTopic, PushAlertChannel, serviceAccountAssertion } from './channels/push.channel';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const credentials = {
  project_id: 'receptionist-test',
  client_email: 'alerts@receptionist-test.iam.gserviceaccount.com',
  private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
};
const env = (extra: Record<string, string> = {}) => notificationEnvSchema.parse(extra) as NotificationEnv;

describe('alert texts', () => {
  it('speaks the company language to admins, English with the company named to operators, money from minor units', () => {
    const de = composeAlert({ kind: 'balance_low', balance: 850, threshold: 1000, currency: 'EUR' }, { id: 'c1', name: 'Salon Sonne', language: 'de' });
    expect(de.body).toBe('Ihr Guthaben beträgt nur noch 8,50 € (Warnschwelle 10,00 €). Bitte laden Sie auf, damit Anrufe weiter angenommen werden.');
    expect(de.operatorText).toBe(':warning: balance.low: Salon Sonne (c1) has €8.50 left (threshold €10.00).');
    const en = composeAlert({ kind: 'delivery_failures', failures: 5, windowMinutes: 60, lastError: '21211 invalid' }, { id: 'c2', name: null, language: 'en-GB' });
    expect(en).toEqual({
      subject: 'Messages are not delivered',
      body: '5 messages to your customers failed in a row (last: 21211 invalid). Please check your sender and settings.',
      operatorText: ':rotating_light: 5 permanent delivery failures in a row within 60 min for c2; last: 21211 invalid',
    });
    const orphan = composeAlert({ kind: 'dead_letter', topic: 'booking.created', reason: 'not JSON', messageId: null }, { id: '', name: null, language: 'en' });
    expect(orphan.operatorText).toBe(':x: notification dead-lettered a booking.created message for no company: not JSON');
  });
});

describe('plan payment reminders', () => {
  it('tell the admins what failed, how much, and until when calls are still taken', () => {
    const facts = { kind: 'plan_payment_overdue' as const, amountDue: 7900, currency: 'EUR', graceEndsAt: '2026-12-14T09:30:00.000Z', reminder: 2, planCode: 'pro' };
    const de = composeAlert(facts, { id: 'c1', name: 'Praxis Tarif', language: 'de' });
    expect(de.subject).toBe('Zahlung fehlgeschlagen (Erinnerung 2)');
    expect(de.body).toContain('79,00 €');
    expect(de.body).toContain('2026-12-14 09:30 UTC');
    expect(composeAlert(facts, { id: 'c1', name: 'Praxis Tarif', language: 'en' }).operatorText).toContain('Praxis Tarif (c1)');
  });
});

describe('Firebase push channel', () => {
  it('is disabled without FIREBASE_CREDENTIALS, and the setting refuses anything but a service account', () => {
    expect(new PushAlertChannel(env()).disabledReason).toBe('FIREBASE_CREDENTIALS not set');
    expect(new PushAlertChannel(env({ FIREBASE_CREDENTIALS: JSON.stringify(credentials) })).disabledReason).toBeNull();
    const bad = notificationEnvSchema.safeParse({ FIREBASE_CREDENTIALS: '{"project_id":"x"}' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: ['FIREBASE_CREDENTIALS'], message: expect.stringContaining('service-account JSON') });
  });

  it('signs the OAuth assertion with the service account key (RS256) for the FCM scope', () => {
    const jwt = serviceAccountAssertion(credentials, new Date('2025-01-01T00:00:00Z'));
    const [header, claims, signature] = jwt.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(claims, 'base64url').toString())).toEqual({
      iss: credentials.client_email,
      scope: 'https://www.googleapis.com/auth/firebase.messaging',
      aud: 'https://oauth2.googleapis.com/token',
      iat: 1735689600,
      exp: 1735693200,
    });
    expect(createVerify('RSA-SHA256').update(`${header}.${claims}`).verify(publicKey, Buffer.from(signature, 'base64url'))).toBe(true);
  });

  it('pushes to one FCM topic per company', () => {
    expect(companyAlertTopic('2f1c/ä')).toBe('company-2f1c---alerts');
    expect(companyAlertTopic('9b2e7c4a-1d3f-4e5a-8b6c-7d8e9f0a1b2c')).toBe('company-9b2e7c4a-1d3f-4e5a-8b6c-7d8e9f0a1b2c-alerts');
  });
});

describe('alert contacts in the notification set-up', () => {
  const setup = (alertContacts: unknown) => ({
    companyId: 'c1',
    revision: 'r1',
    companyName: 'Salon Sonne',
    timeZone: 'Europe/Berlin',
    language: 'de',
    settings: { senderId: null, alertContacts },
  });

  it('are optional, and each needs a phone or an e-mail address', () => {
    expect(notificationSetupSchema.parse(setup(undefined)).settings.alertContacts).toBeUndefined();
    expect(notificationSetupSchema.parse(setup([{ phone: '+491701234567' }])).settings.alertContacts).toEqual([{ name: null, phone: '+491701234567', email: null }]);
    expect(notificationSetupSchema.safeParse(setup([{ name: 'Anna' }])).error?.issues[0].message).toBe('needs a phone or an email');
    expect(notificationSetupSchema.safeParse(setup([{ email: 'not-an-address' }])).error?.issues[0].path).toEqual(['settings', 'alertContacts', 0, 'email']);
  });
});
