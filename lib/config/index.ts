// One typed configuration, read from the environment once and validated; a bad value names its variable.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Empty strings count as unset, so `FOO=` in a .env file does not become a bad value. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

/** A model file or folder that must exist when set. */
const existingPath = z.string().refine((p) => existsSync(resolve(p)), { message: 'path does not exist' });

const natsUrls = z.string().refine(
  (v) =>
    v.split(',').every((server) => {
      try {
        const u = new URL(server.includes('://') ? server : `nats://${server}`);
        return ['nats:', 'tls:', 'ws:', 'wss:'].includes(u.protocol) && u.hostname !== '';
      } catch {
        return false;
      }
    }),
  { message: 'must be a comma-separated list of nats://host:port' },
);

const envSchema = z.object({
  NATS_URL: optional(natsUrls),
  DATABASE_URL: optional(url(['postgres:', 'postgresql:'])),
  PORT: optional(z.coerce.number().int().min(0).max(65535)),
  LLM_ENDPOINT: optional(url(['http:', 'https:'])),
  LLM_MODEL: optional(z.string().max(256)),
  LLM_MODEL_PATH: optional(existingPath),
  PIPER_MODEL: optional(existingPath),
  WHISPER_MODEL: optional(existingPath),
  EMBEDDING_MODEL: optional(existingPath),
  LIVEKIT_URL: optional(url(['ws:', 'wss:', 'http:', 'https:'])),
  LIVEKIT_API_KEY: optional(z.string().min(1)),
  LIVEKIT_API_SECRET: optional(z.string().min(1)),
  LOG_LEVEL: optional(z.enum(LOG_LEVELS)),
  FUNCTION_GATEWAY_URL: optional(url(['http:', 'https:'])),
  DATA_DIR: optional(z.string().min(1)),
  SHUTDOWN_GRACE_MS: optional(z.coerce.number().int().min(0).max(600_000)),
  LLM_API_KEY: optional(z.string().min(1)),
  DB_POOL_MAX: optional(z.coerce.number().int().min(1).max(200)),
  DB_STATEMENT_TIMEOUT_MS: optional(z.coerce.number().int().min(100).max(600_000)),
  DB_EMBEDDED_PORT: optional(z.coerce.number().int().min(0).max(65535)),
  GATEWAY_PORT: optional(z.coerce.number().int().min(0).max(65535)),
  HOST: optional(z.string().min(1).max(255)),
  RECORD_SESSIONS: optional(z.enum(['0', '1', 'true', 'false'], { message: 'must be 1 or 0' })),
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(url(['http:', 'https:'])),
  /** NATS user of this service (deploy/nats/nats.conf gives each its own subjects); with NATS_PASSWORD. */
  NATS_USER: optional(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be 1–64 of A–Z a–z 0–9 _ -' })),
  NATS_PASSWORD: optional(z.string().min(1).max(256)),
  /** Basic-auth credentials of the function HTTP endpoints (OpenFaaS `basic-auth-user` / `basic-auth-password`). */
  BASIC_AUTH_USER: optional(z.string().regex(/^[^:\s]{1,128}$/, { message: 'must be 1–128 characters, no ":"' })),
  BASIC_AUTH_PASSWORD: optional(z.string().min(1).max(256)),
  /** API keys (comma-separated) that POST /api/token requires as `Authorization: Bearer <key>`; unset = open. */
  GATEWAY_API_KEYS: optional(z.string().min(16).max(4096)),
});

/** Every environment variable the code reads; deployment files are checked against this list (test/deploy). */
export const ENV_VARS = Object.keys(envSchema.shape) as (keyof typeof envSchema.shape)[];

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  natsUrl: string;
  /** Unset → the embedded PGlite database under `dataDir`. */
  databaseUrl?: string;
  port: number;
  /** Address the HTTP server binds (0.0.0.0 in containers; 127.0.0.1 for functions `npm start` runs). */
  host: string;
  llm: { endpoint?: string; model?: string; modelPath?: string; apiKey?: string };
  models: { piper?: string; whisper?: string; embedding?: string };
  livekit: { url?: string; apiKey?: string; apiSecret?: string };
  logLevel: LogLevel;
  /** Base URL of the function gateway for the HTTP fallback (`<url>/function/<name>`). */
  functionGatewayUrl?: string;
  dataDir: string;
  /** How long a stopping process lets in-flight requests finish. */
  shutdownGraceMs: number;
  /** Database pool and limits; `embeddedPort` is where an embedded PGlite host listens (0 = any free port). */
  db: { poolMax: number; statementTimeoutMs: number; embeddedPort: number };
  /** Where the web gateway listens in the embedded launcher (`npm start`); the compose gateway uses PORT. */
  gatewayPort: number;
  /** Store each conversation's audio (both sides, one stereo WAV) under `<dataDir>/recordings`. */
  recordSessions: boolean;
  /** OTLP/HTTP endpoint traces go to (e.g. Jaeger's :4318); unset = tracing off, no SDK loaded. */
  otlpEndpoint?: string;
  /** Credentials the function HTTP endpoints require (and FunctionClient sends); unset = no auth (embedded). */
  functionAuth?: { user: string; password: string };
  /** Keys POST /api/token accepts; empty = the endpoint is open (embedded default; rate limited either way). */
  gatewayApiKeys: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULTS = {
  natsUrl: 'nats://127.0.0.1:4222',
  port: 8080,
  host: '0.0.0.0',
  logLevel: 'info',
  dataDir: './data',
  shutdownGraceMs: 20_000,
  db: { poolMax: 10, statementTimeoutMs: 5_000, embeddedPort: 0 },
  gatewayPort: 3000,
} as const;

/** Reads and validates the environment. Throws a ConfigError that lists every bad variable by name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0]);
        const raw = env[variable];
        const shown =
          variable.includes('SECRET') ||
          variable.includes('PASSWORD') ||
          ['DATABASE_URL', 'LLM_API_KEY', 'GATEWAY_API_KEYS'].includes(variable) ||
          raw?.includes('@')
            ? '(hidden)'
            : raw;
        return { variable, message: `${issue.message} (got ${JSON.stringify(shown)})` };
      }),
    );
  }
  const e = parsed.data;
  if ((e.LIVEKIT_API_KEY === undefined) !== (e.LIVEKIT_API_SECRET === undefined)) {
    throw new ConfigError([
      {
        variable: e.LIVEKIT_API_KEY === undefined ? 'LIVEKIT_API_KEY' : 'LIVEKIT_API_SECRET',
        message: 'LIVEKIT_API_KEY and LIVEKIT_API_SECRET must be set together',
      },
    ]);
  }
  return {
    natsUrl: withNatsCredentials(e.NATS_URL ?? DEFAULTS.natsUrl, e.NATS_USER, e.NATS_PASSWORD),
    databaseUrl: e.DATABASE_URL,
    port: e.PORT ?? DEFAULTS.port,
    host: e.HOST ?? DEFAULTS.host,
    llm: { endpoint: e.LLM_ENDPOINT, model: e.LLM_MODEL, modelPath: e.LLM_MODEL_PATH, apiKey: e.LLM_API_KEY },
    models: { piper: e.PIPER_MODEL, whisper: e.WHISPER_MODEL, embedding: e.EMBEDDING_MODEL },
    livekit: { url: e.LIVEKIT_URL, apiKey: e.LIVEKIT_API_KEY, apiSecret: e.LIVEKIT_API_SECRET },
    logLevel: e.LOG_LEVEL ?? DEFAULTS.logLevel,
    functionGatewayUrl: e.FUNCTION_GATEWAY_URL,
    dataDir: resolve(e.DATA_DIR ?? DEFAULTS.dataDir),
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS ?? DEFAULTS.shutdownGraceMs,
    db: {
      poolMax: e.DB_POOL_MAX ?? DEFAULTS.db.poolMax,
      statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS ?? DEFAULTS.db.statementTimeoutMs,
      embeddedPort: e.DB_EMBEDDED_PORT ?? DEFAULTS.db.embeddedPort,
    },
    gatewayPort: e.GATEWAY_PORT ?? DEFAULTS.gatewayPort,
    recordSessions: e.RECORD_SESSIONS === '1' || e.RECORD_SESSIONS === 'true',
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    functionAuth:
      e.BASIC_AUTH_USER && e.BASIC_AUTH_PASSWORD
        ? { user: e.BASIC_AUTH_USER, password: e.BASIC_AUTH_PASSWORD }
        : undefined,
    gatewayApiKeys: (e.GATEWAY_API_KEYS ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
  };
}

/** For process entry points: load the config or print what is wrong and exit 78 (EX_CONFIG). */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}

/** `nats://host:4222` + user + password → `nats://user:pass@host:4222` for every server (NatsLink splits it again). */
function withNatsCredentials(servers: string, user?: string, password?: string): string {
  if (!user) return servers;
  const auth = `${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}@`;
  return servers
    .split(',')
    .map((s) => {
      const t = s.trim();
      const bare = t.replace(/^([a-z]+:\/\/)?[^@/]*@/i, '$1');
      return bare.includes('://') ? bare.replace('://', `://${auth}`) : `nats://${auth}${bare}`;
    })
    .join(',');
}
