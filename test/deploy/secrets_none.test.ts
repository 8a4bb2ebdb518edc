// No secret literal in any deployment file: every credential comes from .env, a compose secret or an OpenFaaS secret.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile, compose and .env text spell ${VAR} literally.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readEnvExample, readText, rootPath } from './deploy-files.js';

const FILES = [
  'stack.yml',
  'docker-compose.yml',
  'livekit.yaml',
  '.env.example',
  'openfaas/Dockerfile',
  'openfaas/models.Dockerfile',
  'openfaas/profiles.yaml',
  'openfaas/entry.mjs',
  'gateway/traefik/traefik.yml',
  ...readdirSync(rootPath('gateway/traefik/dynamic')).map((f) => `gateway/traefik/dynamic/${f}`),
];

/** Keys whose value is a credential. */
const SECRET_KEY = /(pass(word)?|secret|api[_-]?key|token|credential|private[_-]?key)$/i;

/** Places that hold a credential literal: `key: value` / `KEY=value` with a secret-ish key, or user:pass@ in a URL. */
function findSecretLiterals(text: string): string[] {
  const found: string[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (/^\s*#/.test(line)) continue;
    const kv = /^\s*-?\s*["']?([A-Za-z0-9_.-]+)["']?\s*[:=]\s*(.*)$/.exec(line);
    if (kv) {
      const [, key, raw] = kv as unknown as [string, string, string];
      const value = raw
        .replace(/\s+#.*$/, '')
        .trim()
        .replace(/^["']|["']$/g, '');
      const harmless =
        value === '' ||
        /^\$\{[A-Z0-9_]+(:[?-][^}]*)?\}$/.test(value) || // interpolated from .env
        /^\/(run|var\/openfaas)\/secrets\//.test(value) || // a mounted secret file
        /^[A-Z][A-Z0-9_]*$/.test(value) || // the name of an environment variable (compose secrets)
        /^[|>]$/.test(value); // a block scalar follows
      if (SECRET_KEY.test(key) && !key.endsWith('_FILE') && !harmless) found.push(`line ${i + 1}: ${key}`);
    }
    for (const m of line.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:([^\s@]+)@/gi)) {
      if (!/^\$\{[A-Z0-9_]+\}$/.test(m[1] as string)) found.push(`line ${i + 1}: password in URL`);
    }
    for (const m of line.matchAll(/--[a-z-]*(secret|password)[a-z-]*=(\$\{[^}]*\}|\S+)/gi)) {
      if (!/^\$\{[A-Z0-9_]+(:[?-][^}]*)?\}$/.test(m[2] as string)) found.push(`line ${i + 1}: ${m[0]}`);
    }
  }
  return [...new Set(found.map((f) => f.replace(/:.*$/, '')))];
}

describe('secrets', () => {
  it('the detector finds the literals it is meant to find (so the check below can fail)', () => {
    expect(findSecretLiterals('POSTGRES_PASSWORD=hunter2')).toHaveLength(1);
    expect(findSecretLiterals('      LIVEKIT_API_SECRET: abc123')).toHaveLength(1);
    expect(findSecretLiterals('  api_key: devkey')).toHaveLength(1);
    expect(findSecretLiterals('  url: postgres://arc:s3cret@postgres:5432/arc')).toHaveLength(1);
    expect(findSecretLiterals('      - --static-auth-secret=letmein')).toHaveLength(1);
    expect(findSecretLiterals('  secret: "x"')).toHaveLength(1);
    expect(findSecretLiterals('POSTGRES_PASSWORD=\nTOKEN=${TOKEN:?set it}')).toEqual([]);
    expect(findSecretLiterals('  url: postgres://arc:${POSTGRES_PASSWORD}@postgres:5432/arc')).toEqual([]);
  });

  it.each(FILES)('%s holds no secret literal', (file) => {
    expect(findSecretLiterals(readText(file))).toEqual([]);
  });

  it('.env.example leaves every secret empty', () => {
    const env = readEnvExample();
    for (const key of ['POSTGRES_PASSWORD', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET', 'TURN_SECRET']) {
      expect(env[key], key).toBe('');
    }
  });

  it('livekit.yaml has no keys section: LiveKit takes LIVEKIT_KEYS from the environment', () => {
    expect(readText('livekit.yaml')).not.toMatch(/^keys:/m);
  });
});
