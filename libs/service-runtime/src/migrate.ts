import { DataSource, MixedList } from 'typeorm';
import { z } from 'zod';
import { loadConfigOrExit, port } from '@receptionist/config';

const migrateEnv = z.object({
  DB_HOST: z.string().default('127.0.0.1'),
  DB_PORT: port(3306),
  DB_USERNAME: z.string().default('root'),
  DB_PASSWORD: z.string().default(''),
  DB_DATABASE: z.string().regex(/^[A-Za-z0-9_]+$/),
});

/**
 * A service's migration entry point (`apps/<service>/src/migrate.ts`): creates its database if missing and
 * applies pending migrations, each in its own transaction. Run before the service starts (locally by
 * deploy/start.sh, in Kubernetes as an init container).
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
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    process.stdout.write(`[migrate] ${service} (${env.DB_DATABASE}): ${applied.length ? applied.map((m) => m.name).join(', ') : 'up to date'}\n`);
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}

export function migrateMain(service: string, migrations: MixedList<Function | string>): void {
  runMigrations(service, migrations).catch((error) => {
    process.stderr.write(`[migrate] ${service} failed: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
