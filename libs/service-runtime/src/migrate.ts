import { DataSource, MixedList } from 'typeorm';
import { z } from 'zod';
import { loadConfigOrExit, port } from '@receptionist/config';

const migrateEnv = z.object({
  DB_HOST: z.string().default('127.0.0.1'),
  DB_PORT: port(3306),
  DB_USERNAME: z.string().default('root'),
  DB_PASSWORD: z.string().default(''),
  DB_DATABASE: z.string().regex(/^[A-Za-z0-9_]+$/),
  /** How long a run waits for another run of the same database's migrations to finish. */
  MIGRATE_LOCK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(600),
});

/**
 * A service's migration entry point (`apps/<service>/src/migrate.ts`): creates its database if missing and
 * applies pending migrations, each in its own transaction. Run before the service starts (locally by
 * deploy/start.sh, in Kubernetes as a Job). Holds a MySQL named lock on the database meanwhile: MySQL DDL is not
 * transactional, so two runs at once (a first install, a Job re-run during a rollout) would both see a migration
 * pending and the second would fail half-way; with the lock the second waits and finds nothing to do.
 */
export async function runMigrations(service: string, migrations: MixedList<Function | string>): Promise<string[]> {
  const env = loadConfigOrExit(migrateEnv);
  const server = new DataSource({ type: 'mysql', host: env.DB_HOST, port: env.DB_PORT, username: env.DB_USERNAME, password: env.DB_PASSWORD });
  await server.initialize();
  await server.query(`CREATE DATABASE IF NOT EXISTS \`${env.DB_DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await server.destroy();
  const ds = new DataSource({
    type: 'mysql',
    host: env.DB_HOST,
    port: env.DB_PORT,
    username: env.DB_USERNAME,
    password: env.DB_PASSWORD,
    database: env.DB_DATABASE,
    migrations,
    synchronize: false,
    timezone: 'Z',
  });
  await ds.initialize();
  // A named lock belongs to a session: taken and released on one dedicated connection.
  const lockHolder = ds.createQueryRunner();
  const lock = `receptionist.migrate.${env.DB_DATABASE}`;
  try {
    const [row] = (await lockHolder.query('SELECT GET_LOCK(?, ?) AS got', [lock, env.MIGRATE_LOCK_TIMEOUT_SECONDS])) as { got: number | string | null }[];
    if (Number(row?.got) !== 1) throw new Error(`another migration of ${env.DB_DATABASE} held the lock for ${env.MIGRATE_LOCK_TIMEOUT_SECONDS} s`);
    const applied = await ds.runMigrations({ transaction: 'each' });
    process.stdout.write(`[migrate] ${service} (${env.DB_DATABASE}): ${applied.length ? applied.map((m) => m.name).join(', ') : 'up to date'}\n`);
    return applied.map((m) => m.name);
  } finally {
    await lockHolder.query('SELECT RELEASE_LOCK(?)', [lock]).catch(() => undefined);
    await lockHolder.release();
    await ds.destroy();
  }
}

export function migrateMain(service: string, migrations: MixedList<Function | string>): void {
  runMigrations(service, migrations).catch((error) => {
    process.stderr.write(`[migrate] ${service} failed: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
