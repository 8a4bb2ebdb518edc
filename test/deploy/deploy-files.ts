// Loads the deployment files (stack.yml, docker-compose.yml, livekit.yaml, Traefik, .env.example) for the deploy tests.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '../..');
export const rootPath = (...parts: string[]) => join(ROOT, ...parts);
export const readText = (path: string) => readFileSync(rootPath(path), 'utf8');

/** YAML 1.1 merge keys (`<<: *anchor`) as Compose reads them. */
export function readYaml<T = unknown>(path: string): T {
  return parse(readText(path), { merge: true }) as T;
}

export function readJson<T = unknown>(path: string): T {
  return JSON.parse(readText(path)) as T;
}

/** `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}` as faas-cli (envsubst) and Compose expand them. */
export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g,
    (_m, name: string, op?: string, arg?: string) => {
      const value = vars[name];
      const unset = op?.startsWith(':') ? value === undefined || value === '' : value === undefined;
      if (!unset) return value ?? '';
      if (op?.endsWith('?')) throw new Error(`\${${name}} is required: ${arg}`);
      if (op?.endsWith('-')) return interpolate(arg ?? '', vars);
      return '';
    },
  );
}

/** Every `${…}` reference in a text, by variable name. */
export function referencedVars(text: string): Set<string> {
  return new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] as string));
}

/** `.env.example` as Compose reads a .env file: KEY=value lines, later lines may use earlier keys. */
export function readEnvExample(): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readText('.env.example').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) vars[m[1] as string] = interpolate(m[2] as string, vars);
  }
  return vars;
}

/** Variable names the `.env.example` mentions, set or commented. */
export function envExampleMentions(): Set<string> {
  return new Set(
    [...readText('.env.example').matchAll(/\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})\b/g)].map((m) => m[1] as string),
  );
}

export interface StackFunction {
  lang: string;
  handler: string;
  image: string;
  build_args?: Record<string, string>;
  environment?: Record<string, string>;
  secrets?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  limits?: { memory?: string; cpu?: string };
  requests?: { memory?: string; cpu?: string };
  readonly_root_filesystem?: boolean;
}
export interface Stack {
  version: string;
  provider: { name: string; gateway: string };
  configuration?: { copy?: string[] };
  functions: Record<string, StackFunction>;
}

/** stack.yml with `${…}` filled from `vars` (defaults where unset), as `faas-cli deploy` sees it. */
export function readStack(vars: Record<string, string | undefined> = {}): Stack {
  return parse(interpolate(readText('stack.yml'), vars)) as Stack;
}

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  command?: string[];
  environment?: Record<string, string>;
  secrets?: (string | { source: string; target?: string; mode?: number })[];
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  tmpfs?: string[];
  read_only?: boolean;
  user?: string;
  healthcheck?: { test: string[]; interval?: string; start_period?: string };
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
  stop_grace_period?: string;
}
export interface Compose {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { environment?: string; file?: string }>;
}

/** docker-compose.yml, raw (`${…}` left as written) or interpolated with .env.example as `docker compose config` does. */
export function readCompose(
  interpolated = false,
  vars: Record<string, string | undefined> = readEnvExample(),
): Compose {
  const raw = readYaml<Compose>('docker-compose.yml');
  // Compose interpolates the values of the parsed file (not its text), so an empty value stays a string.
  return interpolated ? (deepInterpolate(raw, vars) as Compose) : raw;
}

function deepInterpolate(value: unknown, vars: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') return interpolate(value, vars);
  if (Array.isArray(value)) return value.map((v) => deepInterpolate(v, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepInterpolate(v, vars)]));
  }
  return value;
}

/** The variable a compose/OpenFaaS secret becomes inside the container (openfaas/entry.mjs: kebab → UPPER_SNAKE). */
export function secretEnvName(secret: string): string {
  return secret.toUpperCase().replaceAll('-', '_');
}

/** Compose secret names of a service, as the files under /run/secrets. */
export function composeSecretTargets(service: ComposeService): string[] {
  return (service.secrets ?? []).map((s) => (typeof s === 'string' ? s : (s.target ?? s.source)));
}

/** Seconds of a Compose duration such as `30s`, `1m30s`, `250ms`. */
export function durationSeconds(d: string): number {
  let total = 0;
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n / 1000 : m[2] === 's' ? n : m[2] === 'm' ? n * 60 : n * 3600;
  }
  return total;
}

export function ajv(): Ajv {
  const a = new Ajv({ allErrors: true, strict: false });
  addFormats(a);
  return a;
}

export function schemaErrors(schemaPath: string, data: unknown): string[] {
  // Every vendored schema is draft-07, Ajv's own dialect; compose-spec spells its $schema URL in https, which Ajv
  // does not know by that name, so the key is dropped rather than a meta-schema added.
  const { $schema: _dialect, ...schema } = readJson<Record<string, unknown>>(schemaPath);
  const validate = ajv().compile(schema);
  if (validate(data)) return [];
  return (validate.errors ?? []).map(
    (e: ErrorObject) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
  );
}

export const bundlePath = (name: string) => rootPath('dist', 'functions', `${name}.js`);
export const handlerExists = (name: string) => existsSync(rootPath('functions', name, 'handler.ts'));

/** Values for the secrets `.env.example` leaves empty, as a user fills them in before `docker compose up`. */
export const TEST_SECRETS: Record<string, string> = {
  POSTGRES_PASSWORD: 'p',
  LIVEKIT_API_KEY: 'k',
  LIVEKIT_API_SECRET: 's',
  TURN_SECRET: 't',
  // docs/reliability.md: NATS users and the functions' basic auth
  NATS_BRAIN_PASSWORD: 'n',
  NATS_TTS_PASSWORD: 'n',
  NATS_EMBED_PASSWORD: 'n',
  NATS_SESSION_WRITE_PASSWORD: 'n',
  NATS_AGENT_HOST_PASSWORD: 'n',
  NATS_GATEWAY_PASSWORD: 'n',
  BASIC_AUTH_PASSWORD: 'b',
};
