import { companyScope } from './company-scope';

describe('companyScope', () => {
  it('serves every company, and messages of no company, when unset or blank', () => {
    for (const setting of [undefined, '', ' , ']) {
      const serves = companyScope(setting);
      expect([serves('a'), serves(null), serves(undefined)]).toEqual([true, true, true]);
    }
  });

  it('serves only listed ids and prefixes when set, never a message without a company', () => {
    const serves = companyScope(' c-1 , test-run-7* ');
    expect(serves('c-1')).toBe(true);
    expect(serves('test-run-7-x')).toBe(true);
    expect(serves('c-10')).toBe(false);
    expect(serves('test-run-8-x')).toBe(false);
    expect(serves(null)).toBe(false);
  });
});
