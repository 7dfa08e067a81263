import fs from 'node:fs';
import path from 'node:path';
import { fieldPath, ImportDocumentError, parseYaml, validateImportDocument } from './import-document';
import { keyFromName } from './onboarding.service';
import { buildParts, canonicalJson } from './setup-parts';

const demoText = fs.readFileSync(path.resolve(__dirname, '../../../../deploy/demo/company.yaml'), 'utf8');
const demo = () => parseYaml(demoText) as any;
const problems = (value: unknown) => {
  try {
    validateImportDocument(value);
  } catch (error) {
    if (error instanceof ImportDocumentError) return error.problems.map((p) => p.field);
    throw error;
  }
  throw new Error('document was accepted');
};

describe('the onboarding file', () => {
  it('accepts the demo file and fills in the documented defaults', () => {
    const doc = validateImportDocument(demo());
    expect(doc.phoneNumbers[0].number).toBe('+493055571234');
    expect(doc.staff[0]).toMatchObject({ calcomUserId: null, active: true });
    expect(validateImportDocument({ ...demo(), policies: undefined, notifications: undefined }).notifications).toEqual({
      channels: ['sms'],
      confirmation: true,
      remindersMinutesBefore: [1440],
      senderId: null,
      quietHours: null,
    });
  });

  it('names each bad field the way the file reads', () => {
    expect(fieldPath(['services', 2, 'calcomEventTypeId'])).toBe('services[2].calcomEventTypeId');
    const bad = demo();
    bad.services[2].calcomEventTypeId = 1.5;
    bad.openingHours.tue = [['18:00', '10:00']];
    bad.pricing.perMinuteMinr = 1;
    expect(problems(bad).sort()).toEqual(['openingHours.tue[0]', 'pricing.perMinuteMinr', 'services[2].calcomEventTypeId']);
    const dup = demo();
    dup.services[1].key = 'haarschnitt';
    dup.services[2].calcomEventTypeId = 1002;
    expect(problems(dup).sort()).toEqual(['services[1].key', 'services[2].calcomEventTypeId', 'staff[0].services[1]']);
  });

  it('refuses YAML that is broken or expands without bound', () => {
    expect(() => parseYaml('a: [1\nb: 2')).toThrow(/not valid YAML.*line 2/);
    const laughs = ['a: &a [1,1,1,1,1,1,1,1,1,1]', ...'bcdef'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdef'[i]}`).join(',')}]`)].join('\n');
    expect(() => parseYaml(laughs)).toThrow(/too large/);
  });

  it('gives each part a revision that depends on its content only', () => {
    const ids = new Map([['mitte', 'b1']]);
    const a = buildParts('c1', validateImportDocument(demo()), ids);
    const reordered = demo();
    reordered.pricing = Object.fromEntries(Object.entries(reordered.pricing).reverse());
    const b = buildParts('c1', validateImportDocument(reordered), ids);
    expect(b.map((p) => p.revision)).toEqual(a.map((p) => p.revision));
    const cheaper = demo();
    cheaper.pricing.perMinuteMinor = 1;
    const c = buildParts('c1', validateImportDocument(cheaper), ids);
    expect(c.map((p) => p.revision === a[a.indexOf(a.find((x) => x.part === p.part)!)].revision)).toEqual([true, false, true]);
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 1 }] })).toBe('{"a":[{"c":1,"d":2}],"b":1}');
  });

  it('derives a company key from the name when the file has none', () => {
    expect(keyFromName('Salon Schnittpunkt GmbH')).toBe('salon-schnittpunkt-gmbh');
    expect(keyFromName('Friseur Größe & Söhne')).toBe('friseur-grosse-sohne');
  });
});
