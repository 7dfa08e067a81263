import twilio from 'twilio';
import { twilioSignature } from './providers/twilio';

describe('Twilio simulator signature', () => {
  it('signs exactly as twilio-node validates (URL with query plus sorted form fields)', () => {
    const url = 'https://example.com/api/webhooks/twilio/status?company=c1&message=m1';
    const params = { MessageStatus: 'delivered', AccountSid: 'AC123', MessageSid: 'SM1', To: '+4917612345678', Body: 'Grüße & so' };
    const signature = twilioSignature('secret-token', url, params);
    expect(twilio.validateRequest('secret-token', signature, url, params)).toBe(true);
    expect(twilio.validateRequest('other-token', signature, url, params)).toBe(false);
    expect(twilio.validateRequest('secret-token', signature, url, { ...params, MessageStatus: 'failed' })).toBe(false);
  });
});
