import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './service-app';

/**
 * Infrastructure of a test's own, for faults made for real (stop the database, kill -9 the broker, drop Redis)
 * without touching the machine's shared MariaDB, Redis and Kafka that other suites use at the same time.
 * Each instance listens on a free loopback port and keeps its data in a temporary folder, so a restart keeps
 * what was committed, as a real restart does.
 */

const repoRoot = path.resolve(__dirname, '../../..');

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, timeout: 1000 }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function waitPort(port: number, open: boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await portOpen(port)) !== open) {
    if (Date.now() > until) throw new Error(`${what} on port ${port} did not ${open ? 'open' : 'close'} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A process-backed server: start, stop (SIGTERM, graceful), kill (SIGKILL, a crash), restart on the same port and data. */
abstract class PrivateServer {
  protected child?: ChildProcess;
  protected readonly dir: string;
  port = 0;

  constructor(readonly name: string) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), `private-${name}-`));
  }

  protected abstract spawnServer(): ChildProcess;
  protected startTimeoutMs = 30_000;

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (!this.port) this.port = await freePort();
    const child = this.spawnServer();
    this.child = child;
    let out = '';
    child.stdout?.on('data', (c) => (out = (out + c).slice(-4000)));
    child.stderr?.on('data', (c) => (out = (out + c).slice(-4000)));
    const died = exited(child).then(() => {
      throw new Error(`${this.name} exited during start-up: ${out.slice(-800)}`);
    });
    await Promise.race([waitPort(this.port, true, this.startTimeoutMs, this.name), died]);
    died.catch(() => undefined);
  }

  /** Graceful stop (SIGTERM) and wait until the port is closed. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    await exited(child);
    await waitPort(this.port, false, 30_000, this.name);
  }

  /** A crash: SIGKILL, no chance to flush or close connections cleanly. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGKILL');
    await exited(child);
    await waitPort(this.port, false, 30_000, this.name);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async destroy(): Promise<void> {
    await this.kill().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A redis-server of the test's own. No persistence: a restart comes back empty, as after a real crash without AOF. */
export class PrivateRedis extends PrivateServer {
  constructor() {
    super('redis');
  }
  protected spawnServer(): ChildProcess {
    return spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }
}

/**
 * A MariaDB server of the test's own (Debian's mariadbd, as the machine's): its data directory is initialised once
 * per instance, root without a password over TCP (grant tables skipped: a test server on loopback only).
 */
export class PrivateMariaDB extends PrivateServer {
  readonly username = 'root';
  readonly password = '';
  constructor() {
    super('mariadb');
    this.startTimeoutMs = 60_000;
  }

  private initialise(): void {
    const data = path.join(this.dir, 'data');
    if (existsSync(path.join(data, 'mysql'))) return;
    mkdirSync(data, { recursive: true });
    const install = spawnSync(
      'mariadb-install-db',
      ['--no-defaults', `--datadir=${data}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'],
      { encoding: 'utf8' },
    );
    if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr || install.stdout}`);
  }

  protected spawnServer(): ChildProcess {
    this.initialise();
    return spawn(
      'mariadbd',
      [
        '--no-defaults',
        `--datadir=${path.join(this.dir, 'data')}`,
        `--socket=${path.join(this.dir, 'mysqld.sock')}`,
        `--pid-file=${path.join(this.dir, 'mysqld.pid')}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        '--user=root',
        '--skip-grant-tables',
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=64M',
        '--innodb-log-file-size=32M',
        '--max-connections=500',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
  }
}

export interface PrivateKafkaOptions {
  /**
   * A SASL_PLAINTEXT client listener with SCRAM-SHA-512 instead of PLAINTEXT: these users are created when the
   * storage is formatted (`--add-scram`); `admin` is always one of them (the broker's own inter-broker login and a
   * super user). With `acls`, the StandardAuthorizer is on and only `superUsers` (and ACLs a test creates) may act.
   */
  scram?: { users: { name: string; password: string }[]; superUsers?: string[]; acls?: boolean };
}

/** The broker's own SCRAM login on a private SASL broker (also a super user): for the test's admin client. */
export const PRIVATE_KAFKA_ADMIN = { name: 'admin', password: 'private-kafka-admin' };

/**
 * A Kafka broker of the test's own (the same KRaft broker `deploy/kafka/kafka.sh` assembles from Maven Central,
 * with its own port, controller port and data folder). Started in the foreground here so kill() is a real SIGKILL
 * of the JVM. Auto-creation is off, as on the shared broker: create the topics a test needs. With `scram`, clients
 * must log in (SASL_PLAINTEXT, SCRAM-SHA-512); see `security(user)`.
 */
export class PrivateKafka extends PrivateServer {
  constructor(private readonly options: PrivateKafkaOptions = {}) {
    super('kafka');
    this.startTimeoutMs = 90_000;
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  /** A client's SASL settings for one of the broker's SCRAM users (KafkaSecurity of @receptionist/config). */
  security(user = PRIVATE_KAFKA_ADMIN.name, password?: string): { sasl: { mechanism: 'scram-sha-512'; username: string; password: string } } {
    const known = [PRIVATE_KAFKA_ADMIN, ...(this.options.scram?.users ?? [])].find((u) => u.name === user);
    return { sasl: { mechanism: 'scram-sha-512', username: user, password: password ?? known?.password ?? '' } };
  }

  /** The template's properties with the SASL listener, its login and the authorizer put in place. */
  private properties(template: string): string {
    const scram = this.options.scram;
    if (!scram) return template;
    const admin = PRIVATE_KAFKA_ADMIN;
    const supers = ['admin', ...(scram.superUsers ?? [])].map((u) => `User:${u}`);
    // The controller listener stays PLAINTEXT on loopback; the broker's own requests to it come as ANONYMOUS.
    const overrides: Record<string, string> = {
      listeners: `SASL_PLAINTEXT://127.0.0.1:${this.port},CONTROLLER://127.0.0.1:${this.port + 1}`,
      'advertised.listeners': `SASL_PLAINTEXT://127.0.0.1:${this.port}`,
      'inter.broker.listener.name': 'SASL_PLAINTEXT',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
      'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${admin.name}" password="${admin.password}";`,
      ...(scram.acls
        ? { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'super.users': [...supers, 'User:ANONYMOUS'].join(';') }
        : {}),
    };
    const lines = template.split('\n').filter((line) => !(line.split('=')[0] in overrides));
    return [...lines, ...Object.entries(overrides).map(([k, v]) => `${k}=${v}`)].join('\n') + '\n';
  }

  private libDir(): string {
    const version = process.env.KAFKA_VERSION ?? '4.1.1';
    const cache = process.env.KAFKA_CACHE_DIR ?? path.join(os.homedir(), '.cache/ai-receptionist/kafka');
    const lib = path.join(cache, version, 'lib');
    if (!existsSync(path.join(lib, '.complete'))) {
      const install = spawnSync('bash', [path.join(repoRoot, 'deploy/kafka/kafka.sh'), 'install'], { encoding: 'utf8' });
      if (install.status !== 0) throw new Error(`kafka.sh install failed: ${install.stderr}`);
    }
    return lib;
  }

  override async start(): Promise<void> {
    if (this.running) return;
    if (!this.port) {
      // The controller listens on port + 1: find two free neighbours.
      for (;;) {
        const p = await freePort();
        if (!(await portOpen(p + 1))) {
          this.port = p;
          break;
        }
      }
    }
    await super.start();
    // The port opens a moment before the broker has registered with its controller.
    const log = path.join(this.dir, 'server.out');
    const until = Date.now() + this.startTimeoutMs;
    while (!(existsSync(log) && readFileSync(log, 'utf8').includes('Kafka Server started'))) {
      if (Date.now() > until) throw new Error('private Kafka did not report started');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  protected spawnServer(): ChildProcess {
    const lib = this.libDir();
    const data = path.join(this.dir, 'data');
    const config = path.join(this.dir, 'server.properties');
    const template = readFileSync(path.join(repoRoot, 'deploy/kafka/server.properties.in'), 'utf8');
    const properties = this.properties(
      template.replaceAll('@PORT@', String(this.port)).replaceAll('@CONTROLLER_PORT@', String(this.port + 1)).replaceAll('@DATA_DIR@', data),
    );
    writeFileSync(config, properties);
    const log4j = `-Dlog4j2.configurationFile=${path.join(repoRoot, 'deploy/kafka/log4j2.properties')}`;
    if (!existsSync(path.join(data, 'meta.properties'))) {
      const users = this.options.scram ? [PRIVATE_KAFKA_ADMIN, ...this.options.scram.users] : [];
      const scram = users.flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u.name},password=${u.password}]`]);
      const format = spawnSync(
        'java',
        ['-Xmx256m', '-cp', `${lib}/*`, log4j, 'kafka.tools.StorageTool', 'format', '-t', 'cHJpdmF0ZS1rYWZrYS0x', '-c', config, ...scram],
        { encoding: 'utf8' },
      );
      if (format.status !== 0) throw new Error(`kafka storage format failed: ${format.stderr || format.stdout}`);
    }
    const logs = path.join(this.dir, 'logs');
    mkdirSync(logs, { recursive: true });
    // Truncated at each start, so the 'started' line read by start() is this run's.
    const out = openSync(path.join(this.dir, 'server.out'), 'w');
    return spawn(
      'java',
      ['-Xms256m', '-Xmx384m', '-XX:+UseG1GC', '-XX:TieredStopAtLevel=1', `-Dkafka.logs.dir=${logs}`, log4j, '-cp', `${lib}/*`, 'kafka.Kafka', config],
      { stdio: ['ignore', out, out] },
    );
  }
}
