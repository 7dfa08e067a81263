import { createHmac } from 'node:crypto';
import { resolveArgs, signLikeRetell } from './providers/retell';

describe('Retell simulator helpers', () => {
  it('fills arguments from earlier replies as the agent would', () => {
    const replies = [{ success: true }, { data: { options: [{ start: '2026-11-25T10:00:00+01:00', spoken: 'zehn Uhr' }] } }];
    expect(resolveArgs({ start: '{{steps.1.data.options.0.start}}', note: 'um {{steps.1.data.options.0.spoken}}', n: 3 }, replies)).toEqual({
      start: '2026-11-25T10:00:00+01:00',
      note: 'um zehn Uhr',
      n: 3,
    });
    expect(resolveArgs({ missing: '{{steps.5.data}}' }, replies)).toEqual({ missing: undefined });
  });

  it('signs as Retell does: HMAC-SHA256(key, body + timestamp)', () => {
    const sig = signLikeRetell('{"a":1}', 'key', 1700000000000);
    expect(sig).toBe(`v=1700000000000,d=${createHmac('sha256', 'key').update('{"a":1}1700000000000').digest('hex')}`);
  });
});
