// Environment variables: what stack.yml, docker-compose.yml and .env.example set agrees with what the code reads.
import { describe, expect, it } from 'vitest';
import { DEFAULTS, ENV_VARS, loadConfig } from '../../lib/config/index.js';
import { FUNCTION_NAMES } from '../../lib/protocol/subjects.js';
import {
  type ComposeService,
  composeSecretTargets,
  envExampleMentions,
  readCompose,
  readEnvExample,
  readStack,
  secretEnvName,
  TEST_SECRETS,
} from './deploy-files.js';

const SECRETS = TEST_SECRETS;
const env: Record<string, string> = { ...readEnvExample(), ...SECRETS };
const compose = readCompose(true, env);
const stack = readStack();

/** Model variables hold paths that exist only inside the containers; loadConfig checks them on the host. */
const MODEL_VARS = ['LLM_MODEL_PATH', 'PIPER_MODEL', 'WHISPER_MODEL', 'EMBEDDING_MODEL'] as const;

/** Variables each deployed part must be given (beyond what lib/config defaults), by role. */
const REQUIRED: Record<string, string[]> = {
  function: ['NATS_URL', 'FUNCTION_GATEWAY_URL', 'LOG_LEVEL', 'SHUTDOWN_GRACE_MS', 'DATA_DIR'],
  brain: ['LLM_ENDPOINT', 'LLM_MODEL', 'EMBEDDING_MODEL', 'DATABASE_URL'],
  tts: ['PIPER_MODEL'],
  embed: ['EMBEDDING_MODEL'],
  'session-write': ['EMBEDDING_MODEL', 'DATABASE_URL'],
  'agent-host': ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET', 'WHISPER_MODEL'],
  gateway: ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET', 'PORT'],
};

/** Environment a compose service's process sees: its `environment` plus its secrets through openfaas/entry.mjs. */
function composeEnv(service: ComposeService, secretValues: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...service.environment };
  for (const target of composeSecretTargets(service)) {
    const name = secretEnvName(target);
    out[name] = secretValues[name] ?? 'x';
  }
  return out;
}

const SECRET_VALUES: Record<string, string> = {
  DATABASE_URL: env.ARC_DATABASE_URL as string,
  LIVEKIT_API_KEY: 'key',
  LIVEKIT_API_SECRET: 'secret',
};
const OURS = [...FUNCTION_NAMES, 'agent-host', 'gateway'];

describe('environment variables', () => {
  it('lib/config exports the list it validates (the list this suite checks against)', () => {
    expect(ENV_VARS).toEqual(expect.arrayContaining(['NATS_URL', 'DATABASE_URL', 'PORT', 'SHUTDOWN_GRACE_MS']));
    expect(new Set(ENV_VARS).size).toBe(ENV_VARS.length);
  });

  it('every variable the code reads is documented in .env.example', () => {
    const mentioned = envExampleMentions();
    const missing = ENV_VARS.filter((v) => !mentioned.has(v));
    expect(missing, 'add them to .env.example (and to the services that need them)').toEqual([]);
  });

  it('every variable the code reads is set by some deployed service, or lib/config defaults it, or it is opt-in', () => {
    const setSomewhere = new Set<string>();
    for (const name of OURS)
      for (const k of Object.keys(composeEnv(compose.services[name] as ComposeService, {}))) setSomewhere.add(k);
    for (const fn of Object.values(stack.functions)) {
      for (const k of Object.keys(fn.environment ?? {})) setSomewhere.add(k);
      for (const s of fn.secrets ?? []) setSomewhere.add(secretEnvName(s));
    }
    // Defaulted by lib/config: unset means the default, which suits every deployment.
    const defaulted = new Set([
      'NATS_URL',
      'PORT',
      'LOG_LEVEL',
      'DATA_DIR',
      'SHUTDOWN_GRACE_MS',
      'DB_POOL_MAX',
      'DB_STATEMENT_TIMEOUT_MS',
      'DB_EMBEDDED_PORT',
      'GATEWAY_PORT',
      'HOST',
    ]);
    expect(DEFAULTS).toMatchObject({ natsUrl: expect.any(String), port: 8080, dataDir: expect.any(String) });
    // Opt-in: only for another shape (embedded node-llama-cpp) or a hosted LLM; .env.example says so.
    const optIn = new Set(['LLM_MODEL_PATH', 'LLM_API_KEY']);
    const unconsidered = ENV_VARS.filter((v) => !setSomewhere.has(v) && !defaulted.has(v) && !optIn.has(v));
    expect(unconsidered, 'set them in docker-compose.yml / stack.yml, or classify them here').toEqual([]);
  });

  it('compose sets only variables the code reads (a typo would be silently ignored)', () => {
    for (const name of OURS) {
      const service = compose.services[name] as ComposeService;
      for (const key of Object.keys(composeEnv(service, {}))) expect(ENV_VARS, `${name}: ${key}`).toContain(key);
    }
  });

  it('each part gets what its role needs, in compose and on OpenFaaS', () => {
    for (const name of OURS) {
      const got = Object.keys(composeEnv(compose.services[name] as ComposeService, {}));
      const needs = [...(REQUIRED.function ?? []), ...(REQUIRED[name] ?? [])];
      expect(got, `compose ${name}`).toEqual(expect.arrayContaining(needs));
    }
    for (const name of FUNCTION_NAMES) {
      const fn = stack.functions[name];
      const got = [...Object.keys(fn?.environment ?? {}), ...(fn?.secrets ?? []).map(secretEnvName)];
      expect(got, `stack.yml ${name}`).toEqual(
        expect.arrayContaining([...(REQUIRED.function ?? []), ...(REQUIRED[name] ?? [])]),
      );
    }
  });

  it('compose and stack.yml configure each function with the same variables (PORT is the image default on OpenFaaS)', () => {
    for (const name of FUNCTION_NAMES) {
      const fn = stack.functions[name];
      const inStack = [...Object.keys(fn?.environment ?? {}), ...(fn?.secrets ?? []).map(secretEnvName)].sort();
      const inCompose = Object.keys(composeEnv(compose.services[name] as ComposeService, {}))
        .filter((k) => k !== 'PORT')
        .sort();
      expect(inCompose, name).toEqual(inStack);
    }
  });

  it('brain, embed and session-write agree on the embedding model (the vector size of the store)', () => {
    const values = (get: (name: string) => string | undefined) => new Set(['brain', 'embed', 'session-write'].map(get));
    expect(values((n) => compose.services[n]?.environment?.EMBEDDING_MODEL).size).toBe(1);
    expect(values((n) => stack.functions[n]?.environment?.EMBEDDING_MODEL).size).toBe(1);
  });

  it('every deployed environment is accepted by loadConfig (values valid, as each process would start)', () => {
    const check = (where: string, e: Record<string, string | undefined>) => {
      const rest = { ...e };
      for (const v of MODEL_VARS) {
        // A model path, when given, lives in the models volume mounted at /models.
        if (rest[v]) expect(rest[v], `${where}: ${v}`).toMatch(/^\/models\//);
        delete rest[v];
      }
      expect(() => loadConfig(rest), where).not.toThrow();
    };
    for (const name of OURS)
      check(`compose ${name}`, composeEnv(compose.services[name] as ComposeService, SECRET_VALUES));
    for (const [name, fn] of Object.entries(stack.functions)) {
      const e: Record<string, string> = { ...fn.environment };
      for (const s of fn.secrets ?? []) e[secretEnvName(s)] = SECRET_VALUES[secretEnvName(s)] ?? 'x';
      check(`stack.yml ${name}`, e);
    }
    // The model paths .env.example suggests are in the models volume too.
    const example = readEnvExample();
    for (const v of MODEL_VARS) if (example[v]) expect(example[v]).toMatch(/^\/models\//);
  });

  it('loadConfig would refuse a deployment typo: the check above can fail', () => {
    const brain = composeEnv(compose.services.brain as ComposeService, SECRET_VALUES);
    expect(() => loadConfig({ ...brain, EMBEDDING_MODEL: undefined, NATS_URL: 'http://nats:4222' })).toThrow(
      /NATS_URL/,
    );
  });
});
