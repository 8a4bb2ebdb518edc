import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.js';

describe('loadConfig', () => {
  it('gives working defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ natsUrl: 'nats://127.0.0.1:4222', port: 8080, logLevel: 'info' });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDir).toMatch(/\/data$/);
  });

  it('reads every documented variable', () => {
    const c = loadConfig({
      NATS_URL: 'nats://a:4222,nats://b:4222',
      DATABASE_URL: 'postgres://u:p@db:5432/arc',
      PORT: '9000',
      LLM_ENDPOINT: 'http://ollama:11434/v1',
      LLM_MODEL: 'llama3.2',
      LIVEKIT_URL: 'ws://livekit:7880',
      LIVEKIT_API_KEY: 'key',
      LIVEKIT_API_SECRET: 'secret',
      LOG_LEVEL: 'debug',
      FUNCTION_GATEWAY_URL: 'http://gateway:8080',
      PIPER_MODEL: 'package.json', // any existing path
    });
    expect(c).toMatchObject({
      port: 9000,
      llm: { endpoint: 'http://ollama:11434/v1', model: 'llama3.2' },
      livekit: { url: 'ws://livekit:7880', apiKey: 'key', apiSecret: 'secret' },
      logLevel: 'debug',
      models: { piper: 'package.json' },
    });
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '', LLM_ENDPOINT: '' }).port).toBe(8080);
  });

  it('names every bad variable, and hides secrets in the message', () => {
    let err: unknown;
    try {
      loadConfig({
        PORT: '70000',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'mysql://root:hunter2@db',
        WHISPER_MODEL: '/no/such/model.bin',
        LLM_ENDPOINT: 'ftp://x',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.map((p) => p.variable).sort();
    expect(problems).toEqual(['DATABASE_URL', 'LLM_ENDPOINT', 'LOG_LEVEL', 'PORT', 'WHISPER_MODEL']);
    expect((err as Error).message).not.toContain('hunter2');
    expect((err as Error).message).toMatch(/WHISPER_MODEL: path does not exist/);
  });

  it('requires the LiveKit key and secret together', () => {
    expect(() => loadConfig({ LIVEKIT_API_KEY: 'k' })).toThrow(/LIVEKIT_API_SECRET/);
  });
});
