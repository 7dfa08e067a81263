import { transformSync } from '@swc/core';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { swcOptions } from './swc-options';

const root = resolve(__dirname, '../..');
const aliases = Object.keys(
  (JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } })
    .compilerOptions.paths,
);

describe('build options (tsconfig.base.json paths)', () => {
  it.each(aliases)('compiles an import of %s into a relative require of the lib', (alias) => {
    const lib = alias.replace('@receptionist/', '');
    const { code } = transformSync(`import { x } from '${alias}';\nexport const y = x;\n`, {
      ...(swcOptions(root) as object),
      swcrc: false,
      filename: join(root, 'apps/gateway/src/main.ts'),
    });
    expect(code).toContain(`require("../../../libs/${lib}/src")`);
    expect(code).not.toContain(`require("${alias}")`);
  });
});
