import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { testInfra, uniqueName } from '@receptionist/testing';
import { runMigrations } from '../src/migrate';

/** Slow enough that two unlocked runs both find it pending. */
class CreateSlowThing1700000000000 implements MigrationInterface {
  name = 'CreateSlowThing1700000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query('SELECT SLEEP(1)');
    await q.query('CREATE TABLE slow_thing (id INT PRIMARY KEY)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE slow_thing');
  }
}

describe('runMigrations (a service\'s migrate command)', () => {
  const database = uniqueName('t_migrate_lock').toLowerCase();
  const saved = { ...process.env };

  beforeAll(() => {
    Object.assign(process.env, {
      DB_HOST: testInfra.db.host,
      DB_PORT: String(testInfra.db.port),
      DB_USERNAME: testInfra.db.username,
      DB_PASSWORD: testInfra.db.password,
      DB_DATABASE: database,
    });
  });

  afterAll(async () => {
    process.env = saved;
    const admin = new DataSource({ type: 'mysql', ...testInfra.db });
    await admin.initialize();
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.destroy();
  });

  it('applies each migration once when two runs start together (a first install, a re-run Job)', async () => {
    const runs = await Promise.allSettled([
      runMigrations('test', [CreateSlowThing1700000000000]),
      runMigrations('test', [CreateSlowThing1700000000000]),
    ]);
    expect(runs.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const applied = runs.map((r) => (r as PromiseFulfilledResult<string[]>).value).sort((a, b) => b.length - a.length);
    expect(applied).toEqual([['CreateSlowThing1700000000000'], []]);
  });
});
