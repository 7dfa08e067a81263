import { callbackEventTypes } from '@receptionist/contracts';
import { CALLBACK_TOPICS } from './callback-events.handler';
import { retryDelayMs } from './callback-deliverer';
import { CallbackTargetRefused, isInternalAddress, parseCallbackUrl, resolveTarget } from './callback-target';
import { newSigningSecret, SecretBox, signCallback, verifyCallback } from './callback-signature';

describe('callback targets (no calls into private networks)', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '64:ff9b::7f00:1',
    '2002:7f00:1::1',
  ])('%s is internal', (address) => expect(isInternalAddress(address)).toBe(true));

  it.each(['8.8.8.8', '172.32.0.1', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8'])('%s is public', (address) => expect(isInternalAddress(address)).toBe(false));

  it.each([
    ['http://example.com/hook', 'url: must use https'],
    ['https://127.0.0.1/hook', 'url: must not point at a loopback, private or link-local address'],
    ['https://[::1]/hook', 'url: must not point at a loopback, private or link-local address'],
    ['https://169.254.169.254/latest/meta-data', 'url: must not point at a loopback, private or link-local address'],
    // Obfuscated forms: the URL parser normalises them to 127.0.0.1 and ::ffff:7f00:1 before the check.
    ['https://2130706433/hook', 'url: must not point at a loopback, private or link-local address'],
    ['https://0x7f.1/hook', 'url: must not point at a loopback, private or link-local address'],
    ['https://[::ffff:127.0.0.1]/hook', 'url: must not point at a loopback, private or link-local address'],
    ['https://localhost/hook', 'url: must be a public host name'],
    ['https://crm.internal/hook', 'url: must be a public host name'],
    ['https://user:pw@example.com/hook', 'url: must not contain credentials'],
    ['https://example.com/hook#x', 'url: must not contain a fragment'],
    ['example.com/hook', 'url: must be an absolute URL'],
  ])('refuses %s in production', (url, message) => {
    expect(() => parseCallbackUrl(url, false)).toThrow(new CallbackTargetRefused(message));
  });

  it('takes a public https URL, and a local http one only where private targets are allowed', () => {
    expect(parseCallbackUrl('https://crm.example.com/hooks?x=1', false).toString()).toBe('https://crm.example.com/hooks?x=1');
    expect(parseCallbackUrl('http://127.0.0.1:8080/hook', true).host).toBe('127.0.0.1:8080');
  });

  it('checks the resolved address at delivery time (a host name that resolves inside is refused)', async () => {
    await expect(resolveTarget(new URL('https://localhost/hook'), false)).rejects.toThrow('url: localhost resolves to an internal address');
    await expect(resolveTarget(new URL('https://127.0.0.1/hook'), false)).rejects.toThrow(CallbackTargetRefused);
    await expect(resolveTarget(new URL('http://127.0.0.1:9/hook'), true)).resolves.toEqual({ address: '127.0.0.1', family: 4 });
  });
});

describe('signing (Standard Webhooks)', () => {
  it('signs id, timestamp and the exact body, and the receiver check refuses changes and stale timestamps', () => {
    // The Standard Webhooks specification's own example.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"test": 2432232314}';
    expect(signCallback(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    const now = 1614265330 * 1000;
    const headers = { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: '1614265330', signature: signCallback(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body) };
    expect(verifyCallback(secret, headers, body, 300, now)).toBe(true);
    expect(verifyCallback(secret, headers, body + ' ', 300, now)).toBe(false);
    expect(verifyCallback(secret, headers, body, 300, now + 301_000)).toBe(false);
    expect(verifyCallback(newSigningSecret(), headers, body, 300, now)).toBe(false);
  });

  it('keeps secrets sealed at rest and refuses a ciphertext under another key', () => {
    const box = new SecretBox(Buffer.alloc(32, 7).toString('base64'));
    const secret = newSigningSecret();
    const sealed = box.seal(secret);
    expect(sealed).not.toContain(secret.slice(6));
    expect(box.open(sealed)).toBe(secret);
    expect(() => new SecretBox(Buffer.alloc(32, 8).toString('base64')).open(sealed)).toThrow();
  });
});

describe('deliveries', () => {
  it('wait 4× longer after each failure, capped at 12 h', () => {
    const fixed = () => 0.5;
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 30_000, fixed))).toEqual([30_000, 120_000, 480_000, 1_920_000]);
    expect(retryDelayMs(20, 30_000, fixed)).toBe(12 * 3600_000);
    expect(retryDelayMs(1, 30_000, () => 0)).toBe(27_000);
  });

  it('are made for exactly the event types a company can subscribe to', () => {
    expect([...CALLBACK_TOPICS].sort()).toEqual([...callbackEventTypes].sort());
  });
});
