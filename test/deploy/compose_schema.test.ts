// docker-compose.yml: valid per the Compose specification, every service healthy-gated, hardened, pinned.
import { describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../lib/protocol/subjects.js';
import {
  type ComposeService,
  durationSeconds,
  readCompose,
  readEnvExample,
  readStack,
  readText,
  referencedVars,
  schemaErrors,
  TEST_SECRETS,
} from './deploy-files.js';

const SCHEMA = 'test/deploy/schemas/compose-spec.json';
/** What `docker compose config` would see with .env made from .env.example and its secrets filled in. */
const ENV = { ...readEnvExample(), ...TEST_SECRETS };
const compose = readCompose(true, ENV);
const services = Object.entries(compose.services);
/** Services built from this repository (openfaas/Dockerfile): the four functions, the agent host and the gateway. */
const OURS = [...FUNCTION_NAMES, 'agent-host', 'gateway'];
const ours = services.filter(([name]) => OURS.includes(name));

describe('docker-compose.yml', () => {
  it('validates against the Compose specification schema, raw and interpolated', () => {
    expect(schemaErrors(SCHEMA, readCompose(false))).toEqual([]);
    expect(schemaErrors(SCHEMA, compose)).toEqual([]);
  });

  it('the schema refuses a misspelt key and a malformed depends_on', () => {
    const bad = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    (bad.services.nats as Record<string, unknown>).helthcheck = {};
    (bad.services.brain as Record<string, unknown>).depends_on = { nats: { condition: 'when_ready' } };
    const errors = schemaErrors(SCHEMA, bad).join('\n');
    expect(errors).toMatch(/helthcheck/);
    expect(errors).toMatch(/condition/);
  });

  it('has the whole system: edge, media, state, LLM, the four functions, agent host and gateway', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        'traefik',
        'livekit',
        'coturn',
        'redis',
        'nats',
        'postgres',
        'ollama',
        ...FUNCTION_NAMES,
        'agent-host',
        'gateway',
        'egress',
        'ingress',
      ].sort(),
    );
    expect(compose.services.nats?.command).toContain('-js');
    expect(compose.services.postgres?.image).toMatch(/^pgvector\/pgvector:/);
  });

  it('keeps LiveKit Egress and Ingress behind optional profiles, everything else always on', () => {
    expect(compose.services.egress?.profiles).toEqual(['recording']);
    expect(compose.services.ingress?.profiles).toEqual(['ingress']);
    for (const [name, s] of services)
      if (!['egress', 'ingress'].includes(name)) expect(s.profiles, name).toBeUndefined();
  });

  it('gives every service a health check, and waits on dependencies only once they are healthy', () => {
    for (const [name, s] of services) {
      expect(s.healthcheck?.test?.length, `${name} health check`).toBeGreaterThan(0);
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(compose.services[dep], `${name} → ${dep}`).toBeDefined();
        expect(condition, `${name} → ${dep}`).toBe('service_healthy');
        expect(compose.services[dep]?.healthcheck, `${dep} is waited on, so it needs a health check`).toBeDefined();
        // An optional service cannot be a dependency of one that always runs.
        if (!s.profiles) expect(compose.services[dep]?.profiles, `${name} → ${dep}`).toBeUndefined();
      }
    }
    for (const name of FUNCTION_NAMES) expect(Object.keys(compose.services[name]?.depends_on ?? {})).toContain('nats');
    for (const name of ['brain', 'session-write'])
      expect(Object.keys(compose.services[name]?.depends_on ?? {})).toContain('postgres');
  });

  it('has no dependency cycle', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string, path: string[]) => {
      if (done.has(name)) return;
      expect(visiting.has(name), `cycle: ${[...path, name].join(' → ')}`).toBe(false);
      visiting.add(name);
      for (const dep of Object.keys(compose.services[name]?.depends_on ?? {})) visit(dep, [...path, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const [name] of services) visit(name, []);
  });

  it('runs our services non-root on a read-only root filesystem with a /tmp tmpfs and the models volume read-only', () => {
    expect(ours.map(([n]) => n).sort()).toEqual([...OURS].sort());
    for (const [name, s] of ours) {
      expect(s.user, name).toBe('10001:10001');
      expect(s.read_only, name).toBe(true);
      expect(s.tmpfs, name).toContain('/tmp');
      expect(s.volumes, name).toContain('models:/models:ro');
      expect(s.build?.dockerfile, name).toBe('openfaas/Dockerfile');
      expect(s.build?.context, name).toBe('.');
    }
    for (const name of FUNCTION_NAMES) expect(compose.services[name]?.build?.args?.FUNCTION).toBe(name);
    expect(compose.services['agent-host']?.build?.args?.BUNDLE).toBe('agent-host');
    expect(compose.services.gateway?.build?.args?.BUNDLE).toBe('gateway');
    expect(Object.keys(compose.volumes).sort()).toEqual(['models', 'nats-data', 'ollama', 'pg-data', 'recordings']);
  });

  it('stops each of our services later than its own drain: stop_grace_period > SHUTDOWN_GRACE_MS', () => {
    for (const [name, s] of ours) {
      const grace = Number(s.environment?.SHUTDOWN_GRACE_MS);
      expect(grace, name).toBeGreaterThan(0);
      expect(durationSeconds(s.stop_grace_period ?? '10s') * 1000, name).toBeGreaterThan(grace);
    }
  });

  it('drains in compose as on OpenFaaS: the same SHUTDOWN_GRACE_MS per function', () => {
    const stack = readStack();
    for (const name of FUNCTION_NAMES) {
      expect(compose.services[name]?.environment?.SHUTDOWN_GRACE_MS, name).toBe(
        stack.functions[name]?.environment?.SHUTDOWN_GRACE_MS,
      );
    }
  });

  it('pins every third-party image to a version (no `latest`, no bare name)', () => {
    for (const [name, s] of services) {
      if (OURS.includes(name)) continue;
      expect(s.image, name).toMatch(/^[a-z0-9./-]+:v?\d+(\.\d+)+(-[a-z0-9.]+)?$/);
    }
  });

  it('requires every secret from .env (`VAR:?` interpolation or a compose secret), so a missing one stops `up` by name', () => {
    const text = readText('docker-compose.yml');
    for (const v of ['LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET', 'TURN_SECRET']) {
      expect(text, v).toMatch(new RegExp(`\\$\\{${v}:\\?[^}]+\\}`));
    }
    const raw = readCompose(false);
    expect(raw.secrets['postgres-password']?.environment).toBe('POSTGRES_PASSWORD');
    expect(raw.secrets['database-url']?.environment).toBe('ARC_DATABASE_URL');
    // Every variable compose interpolates is documented in .env.example (or has a default right there).
    const env = readEnvExample();
    for (const v of referencedVars(text)) {
      expect(v in env || new RegExp(`\\$\\{${v}:-`).test(text), `${v} in .env.example or defaulted`).toBe(true);
    }
  });

  it('interpolation stops `up` with a message when a secret is missing', () => {
    const { TURN_SECRET: _omit, ...without } = ENV;
    expect(() => readCompose(true, without)).toThrow(/TURN_SECRET.*set TURN_SECRET in .env/);
  });

  it('mounts secrets only where they are used', () => {
    const mounts = (s: ComposeService) => (s.secrets ?? []).map((x) => (typeof x === 'string' ? x : x.source));
    // Every one of ours: its own NATS password and the functions' basic auth (docs/reliability.md).
    const auth = (user: string) => [`nats-${user}-password`, 'basic-auth-user', 'basic-auth-password'];
    expect(mounts(compose.services.brain as ComposeService)).toEqual(['database-url', ...auth('brain')]);
    expect(mounts(compose.services.tts as ComposeService)).toEqual(auth('tts'));
    expect(mounts(compose.services.embed as ComposeService)).toEqual(auth('embed'));
    expect(mounts(compose.services.livekit as ComposeService)).toEqual(['turn_secret']);
  });
});
