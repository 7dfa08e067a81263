import { z } from 'zod';
import { ConfigError, parseConfig, serviceEnvSchema, brokerList, boolFlag } from './config';

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
