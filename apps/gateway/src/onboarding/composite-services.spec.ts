import fs from 'node:fs';
import path from 'node:path';
import { bookingSetupSchema } from '@receptionist/contracts';
import { ImportDocumentError, parseYaml, validateImportDocument } from './import-document';
import { buildParts } from './setup-parts';

const demoText = fs.readFileSync(path.resolve(__dirname, '../../../../deploy/demo/company.yaml'), 'utf8');
/** The demo file plus a composite service made of its first two services, the second step by its first staff member. */
const withComposite = (composite: Record<string, unknown> = {}) => {
  const doc = parseYaml(demoText) as any;
  const [first, second] = doc.services;
  doc.services.push({ key: 'combo', name: 'Kombi', steps: [{ service: first.key }, { service: second.key, staff: [doc.staff[0].key] }], ...composite });
  return doc;
};
const problems = (value: unknown) => {
  try {
    validateImportDocument(value);
  } catch (error) {
    if (error instanceof ImportDocumentError) return error.problems.map((p) => p.field).sort();
    throw error;
  }
  throw new Error('document was accepted');
};

describe('composite services in the onboarding file', () => {
  it('sends booking the steps, the first step’s event type and the steps’ total length', () => {
    const raw = withComposite();
    const doc = validateImportDocument(raw);
    const part = buildParts('company-1', doc, new Map(doc.branches.map((b) => [b.key, `branch-${b.key}`]))).find((p) => p.part === 'booking')!;
    const booking = bookingSetupSchema.parse(part.data);
    const combo = booking.services.find((s) => s.key === 'combo')!;
    const [first, second] = raw.services;
    expect(combo).toMatchObject({
      calcomEventTypeId: first.calcomEventTypeId,
      durationMinutes: first.durationMinutes + second.durationMinutes,
      steps: [
        { serviceKey: first.key, staffKeys: [] },
        { serviceKey: second.key, staffKeys: [raw.staff[0].key] },
      ],
    });
    // Ordinary services keep their shape (and so their revision): no `steps` key at all.
    expect(booking.services.filter((s) => s.key !== 'combo').every((s) => !('steps' in s))).toBe(true);
  });

  it('names each bad field: unknown step service or staff, a step with steps, an own event type, too few steps', () => {
    const doc = withComposite({ calcomEventTypeId: 9999, steps: [{ service: 'nope' }, { service: 'combo' }, { service: 'nope2', staff: ['ghost'] }] });
    const i = doc.services.length - 1;
    expect(problems(doc)).toEqual([`services[${i}].calcomEventTypeId`, `services[${i}].steps[0].service`, `services[${i}].steps[1].service`, `services[${i}].steps[2].service`, `services[${i}].steps[2].staff[0]`].sort());
    const single = withComposite();
    single.services[single.services.length - 1].steps = [{ service: single.services[0].key }];
    expect(problems(single)).toEqual([`services[${single.services.length - 1}].steps`]);
    const plain = withComposite();
    delete plain.services[0].durationMinutes;
    expect(problems(plain)).toEqual(['services[0].durationMinutes']);
  });
});
