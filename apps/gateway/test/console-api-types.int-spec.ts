import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGateway, TestGateway } from './gateway-app';

jest.setTimeout(120000);

const ROOT = path.resolve(__dirname, '../../..');
/** The web console's API types, generated from this document by openapi-typescript and committed. */
export const CONSOLE_API_TYPES = path.join(ROOT, 'apps/console/src/api/schema.d.ts');

/** openapi-typescript's output for the gateway's document (its CLI: the package is ESM only). */
function generate(document: unknown): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-api-'));
  try {
    const input = path.join(dir, 'openapi.json');
    const output = path.join(dir, 'schema.d.ts');
    fs.writeFileSync(input, JSON.stringify(document));
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/openapi-typescript/bin/cli.js'), input, '-o', output], { cwd: ROOT, stdio: 'pipe' });
    return `// Generated from GET /api/openapi.json by openapi-typescript; do not edit.\n// Regenerate: UPDATE_CONSOLE_API=1 npx jest apps/gateway/test/console-api-types.int-spec.ts --runInBand --forceExit\n${fs.readFileSync(output, 'utf8')}`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('the web console API client', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('is generated from the OpenAPI document the gateway serves (a changed route fails until regenerated)', async () => {
    const res = await gw.call('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    const generated = generate(res.body);
    if (process.env.UPDATE_CONSOLE_API === '1') fs.writeFileSync(CONSOLE_API_TYPES, generated);
    const committed = fs.existsSync(CONSOLE_API_TYPES) ? fs.readFileSync(CONSOLE_API_TYPES, 'utf8') : '';
    expect(committed).toBe(generated);
  });
});
