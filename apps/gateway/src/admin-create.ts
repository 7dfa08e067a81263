/**
 * `npm run admin:create -- --email ops@example.com` (in an image: `receptionist admin-create --email …`): creates a
 * platform admin in the gateway's database, or resets an existing admin's password and revokes its tokens. The
 * password comes from ADMIN_PASSWORD or stdin (typed without echo on a terminal), never from an argument that
 * would land in shell history or `ps`. Database settings as for the gateway (DB_*); migrations must have run.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { loadConfigOrExit, serviceEnvSchema } from '@receptionist/config';
import { AuditService } from './audit/audit.service';
import { newPasswordSchema } from './auth/password';
import { gatewayEntities } from './entities';
import { PlatformAdmins, NotAPlatformAdminError } from './identity/platform-admins';
import { TOKEN_REVOCATION_CHANNEL } from './identity/token-cache';

const USAGE = 'usage: admin:create --email <e-mail>   (password from ADMIN_PASSWORD or stdin)';

function fail(message: string): never {
  process.stderr.write(`[admin:create] ${message}\n`);
  process.exit(1);
}

/** One line from stdin; on a terminal it is read without echo (backspace edits, Ctrl-C cancels). */
async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  const tty = stdin.isTTY;
  if (tty) {
    process.stderr.write('Password: ');
    stdin.setRawMode(true);
  }
  let line = '';
  let done = false;
  for await (const chunk of stdin) {
    for (const ch of String(chunk)) {
      if (ch === '\r' || ch === '\n') done = true;
      else if (tty && ch === '\u0003') fail('cancelled');
      else if (tty && (ch === '\u007f' || ch === '\b')) line = line.slice(0, -1);
      else line += ch;
      if (done) break;
    }
    if (done) break;
  }
  if (tty) {
    stdin.setRawMode(false);
    process.stderr.write('\n');
  }
  stdin.pause();
  return line;
}

async function main(): Promise<void> {
  let email: string;
  try {
    const { values } = parseArgs({ options: { email: { type: 'string' } }, strict: true });
    email = values.email ?? fail(`--email is required\n${USAGE}`);
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (!z.email().safeParse(email.trim()).success) fail(`--email: "${email}" is not an e-mail address`);
  const password = process.env.ADMIN_PASSWORD ?? (await readPassword());
  const checked = newPasswordSchema.safeParse(password);
  if (!checked.success) fail(`password ${checked.error.issues.map((i) => i.message).join('; ')}; nothing changed`);

  const env = loadConfigOrExit(
    serviceEnvSchema.pick({ DB_HOST: true, DB_PORT: true, DB_USERNAME: true, DB_PASSWORD: true, DB_DATABASE: true, REDIS_HOST: true, REDIS_PORT: true, REDIS_PASSWORD: true, REDIS_DB: true }),
  );
  const dataSource = new DataSource({
    type: 'mysql',
    host: env.DB_HOST,
    port: env.DB_PORT,
    username: env.DB_USERNAME,
    password: env.DB_PASSWORD,
    database: env.DB_DATABASE,
    entities: gatewayEntities,
    synchronize: false,
    timezone: 'Z',
  });
  await dataSource.initialize();
  try {
    const result = await new PlatformAdmins(dataSource, new AuditService(dataSource)).createOrReset(email, password);
    process.stdout.write(
      result.outcome === 'created'
        ? `[admin:create] created platform admin ${email.trim().toLowerCase()} (${result.userId})\n`
        : `[admin:create] reset the password of platform admin ${email.trim().toLowerCase()} (${result.userId}); ${result.tokensRevoked} token(s) revoked\n`,
    );
    if (result.outcome === 'reset' && result.tokensRevoked > 0) await tellGateways(env, result.userId);
  } catch (error) {
    if (error instanceof NotAPlatformAdminError) fail(error.message);
    throw error;
  } finally {
    await dataSource.destroy();
  }
}

/** Running gateways cache accepted tokens briefly: told over Redis, they drop this user's at once. */
async function tellGateways(env: { REDIS_HOST: string; REDIS_PORT: number; REDIS_PASSWORD?: string; REDIS_DB: number }, userId: string) {
  const redis = new Redis({ host: env.REDIS_HOST, port: env.REDIS_PORT, password: env.REDIS_PASSWORD, db: env.REDIS_DB, lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.publish(TOKEN_REVOCATION_CHANNEL, JSON.stringify({ userId }));
  } catch {
    process.stdout.write('[admin:create] Redis not reachable: running gateways drop the revoked tokens within TOKEN_CACHE_TTL_MS (30 s)\n');
  } finally {
    redis.disconnect();
  }
}

main().catch((error) => fail(`failed: ${(error as Error).message}`));
