import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GENERATED, consumedTopics, userAcls } from './kafka-objects';

const root = resolve(__dirname, '../..');

describe('Strimzi objects generated from the code', () => {
  it.each(Object.keys(GENERATED))('%s matches the catalogue and handlers (run `npm run k8s:generate`)', (file) => {
    expect(readFileSync(join(root, file), 'utf8')).toBe(GENERATED[file as keyof typeof GENERATED]());
  });

  it('lets booking read booking.request but not write it, and write its own events', () => {
    const acls = userAcls('booking');
    const on = (name: string) => acls.find((a) => a.resource.name === name)?.operations ?? [];
    expect(consumedTopics('booking')).toContain('booking.request');
    expect(on('booking.request')).toEqual(expect.arrayContaining(['Read']));
    expect(on('booking.request')).not.toContain('Write');
    expect(on('booking.created')).toContain('Write');
    expect(on('payment.succeeded')).toEqual([]);
  });
});
