import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/index.js';
import { redactUrls, splitCredentials } from './nats-link.js';

describe('NATS credentials', () => {
  it('lib/config folds NATS_USER and NATS_PASSWORD into every server URL; NatsLink splits them out again', () => {
    const config = loadConfig({
      NATS_URL: 'nats://a:4222,b:4222',
      NATS_USER: 'session-write',
      NATS_PASSWORD: 'p@ss:w/rd',
    });
    expect(config.natsUrl).toBe(
      'nats://session-write:p%40ss%3Aw%2Frd@a:4222,nats://session-write:p%40ss%3Aw%2Frd@b:4222',
    );
    expect(splitCredentials(config.natsUrl)).toEqual({
      urls: ['nats://a:4222', 'nats://b:4222'],
      user: 'session-write',
      pass: 'p@ss:w/rd',
    });
    expect(splitCredentials('nats://127.0.0.1:4222')).toEqual({ urls: ['nats://127.0.0.1:4222'] });
    expect(loadConfig({ NATS_URL: 'nats://a:4222' }).natsUrl).toBe('nats://a:4222');
  });

  it('what may be logged never shows the password', () => {
    const url = 'nats://brain:s3cret@nats:4222,nats://brain:s3cret@nats2:4222';
    expect(redactUrls(url)).toBe('nats://brain:***@nats:4222,nats://brain:***@nats2:4222');
    expect(redactUrls(url)).not.toContain('s3cret');
  });

  it('a configuration error never prints a password or a URL with credentials', () => {
    try {
      loadConfig({ NATS_URL: 'nats://brain:s3cret@', NATS_USER: 'bad user' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).not.toContain('s3cret');
      expect((err as Error).message).toMatch(/NATS_USER/);
    }
  });
});
