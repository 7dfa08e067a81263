import { z } from 'zod';
import { ConfigError, parseConfig, serviceEnvSchema, brokerList, boolFlag, kafkaSecurityFrom } from './config';

const valid = { PORT: '3000', DB_DATABASE: 'booking', KAFKA_BROKERS: '127.0.0.1:19092' };

describe('parseConfig', () => {
  it('applies defaults and coerces numbers', () => {
    const cfg = parseConfig(serviceEnvSchema, valid);
    expect(cfg.PORT).toBe(3000);
    expect(cfg.DB_PORT).toBe(3306);
    expect(cfg.KAFKA_BROKERS).toEqual(['127.0.0.1:19092']);
  });

  it('names a missing variable', () => {
    const { DB_DATABASE: _omit, ...env } = valid;
    expect(() => parseConfig(serviceEnvSchema, env)).toThrow(/DB_DATABASE: is required but not set/);
  });

  it('treats an empty string as missing', () => {
    expect(() => parseConfig(serviceEnvSchema, { ...valid, KAFKA_BROKERS: '' })).toThrow(/KAFKA_BROKERS/);
  });

  it('names every malformed variable at once, without echoing values', () => {
    try {
      parseConfig(serviceEnvSchema, { ...valid, PORT: 'eighty', KAFKA_BROKERS: 'nohostport', DB_PASSWORD: 's3cret' , DB_PORT: '99999'});
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const vars = (e as ConfigError).problems.map((p) => p.variable).sort();
      expect(vars).toEqual(['DB_PORT', 'KAFKA_BROKERS', 'PORT']);
      expect((e as Error).message).not.toContain('s3cret');
    }
  });

  it('parses broker lists and flags', () => {
    expect(brokerList.parse('a:1, b:2')).toEqual(['a:1', 'b:2']);
    const s = z.object({ F: boolFlag(false) });
    expect(parseConfig(s, {}).F).toBe(false);
    expect(parseConfig(s, { F: 'yes' }).F).toBe(true);
    expect(() => parseConfig(s, { F: 'maybe' })).toThrow(/F:/);
  });
});

describe('Kafka SASL and TLS settings', () => {
  const problemsOf = (env: Record<string, string>) => {
    try {
      parseConfig(serviceEnvSchema, { ...valid, ...env });
      return [];
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).not.toContain('s3cret-kafka');
      return (e as ConfigError).problems.map((p) => p.variable).sort();
    }
  };

  it('takes a complete SCRAM setting and system-CA TLS, shaped as kafkajs takes them', () => {
    const cfg = parseConfig(serviceEnvSchema, { ...valid, KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'billing', KAFKA_SASL_PASSWORD: 's3cret-kafka', KAFKA_SSL: 'true' });
    expect(kafkaSecurityFrom(cfg)).toEqual({ sasl: { mechanism: 'scram-sha-512', username: 'billing', password: 's3cret-kafka' }, ssl: true });
    expect(kafkaSecurityFrom(parseConfig(serviceEnvSchema, valid))).toEqual({});
  });

  it('refuses a half-configured combination, naming the missing variable and never the password', () => {
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'billing' })).toEqual(['KAFKA_SASL_PASSWORD']);
    expect(problemsOf({ KAFKA_SASL_USERNAME: 'billing', KAFKA_SASL_PASSWORD: 's3cret-kafka' })).toEqual(['KAFKA_SASL_MECHANISM']);
    expect(problemsOf({ KAFKA_SASL_MECHANISM: 'scram-sha-1', KAFKA_SASL_USERNAME: 'b', KAFKA_SASL_PASSWORD: 's3cret-kafka' })).toEqual(['KAFKA_SASL_MECHANISM']);
    expect(problemsOf({ KAFKA_SSL_CA_FILE: __filename })).toEqual(['KAFKA_SSL']);
    expect(problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: __filename })).toEqual(['KAFKA_SSL_KEY_FILE']);
    expect(problemsOf({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' })).toEqual(['KAFKA_SSL_CA_FILE']);
  });

  it('reads the CA and client certificate files for TLS', () => {
    const cfg = parseConfig(serviceEnvSchema, { ...valid, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: __filename, KAFKA_SSL_CERT_FILE: __filename, KAFKA_SSL_KEY_FILE: __filename });
    const ssl = kafkaSecurityFrom(cfg).ssl as { ca: string; cert: string; key: string };
    expect(ssl.ca).toContain('Kafka SASL and TLS settings');
    expect(Object.keys(ssl).sort()).toEqual(['ca', 'cert', 'key']);
  });
});
