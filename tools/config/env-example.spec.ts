import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { envExample } from './env-example';

describe('.env.example', () => {
  it('lists exactly the variables the services read (run `npm run env:example`)', () => {
    expect(readFileSync(join(resolve(__dirname, '../..'), '.env.example'), 'utf8')).toBe(envExample());
  });
});
