// openfaas/Dockerfile + entry.mjs: slim pinned Node 20, non-root, port 8080, the bundle and only what it needs.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile, compose and .env text spell ${VAR} literally.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../lib/protocol/subjects.js';
// @ts-expect-error -- plain ESM without types: the image runs it as it is.
import { loadSecrets, secretEnvName } from '../../openfaas/entry.mjs';
import { EXTERNAL } from '../../scripts/build.js';
import { readJson, readText, rootPath } from './deploy-files.js';
import { buildBundles, missingReason } from './function-process.js';

/** Instructions of a Dockerfile: continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: (op as string).toUpperCase(), args: rest.join(' ') };
    });
}

const dockerfile = instructions(readText('openfaas/Dockerfile'));
const finalStage = dockerfile.slice(dockerfile.map((i) => i.op).lastIndexOf('FROM'));
const arg = (name: string) =>
  dockerfile.find((i) => i.op === 'ARG' && i.args.startsWith(`${name}=`))?.args.split('=')[1];

describe('openfaas/Dockerfile', () => {
  it('builds on a pinned slim Node image of the major version the project runs on', () => {
    const image = arg('NODE_IMAGE') as string;
    expect(image).toMatch(/^node:(\d+)\.\d+\.\d+-[a-z]+-slim$/);
    expect(image.split(':')[1]?.split('.')[0]).toBe(process.versions.node.split('.')[0]);
    expect(dockerfile.filter((i) => i.op === 'FROM').map((i) => i.args.split(' ')[0])).toEqual([
      '${NODE_IMAGE}',
      '${NODE_IMAGE}',
    ]);
  });

  it('installs production dependencies only, without install scripts, in a build stage', () => {
    const install = dockerfile.find((i) => i.op === 'RUN' && i.args.includes('npm ci'));
    expect(install?.args).toMatch(/--omit=dev/);
    expect(install?.args).toMatch(/--ignore-scripts/);
    expect(finalStage.some((i) => i.op === 'COPY' && i.args.startsWith('--from=deps /app/node_modules'))).toBe(true);
    expect(finalStage.some((i) => i.op === 'RUN' && i.args.includes('npm '))).toBe(false);
  });

  it('runs the entry as uid 10001 behind tini, on port 8080, with a readiness health check and SIGTERM', () => {
    const last = (op: string) => finalStage.filter((i) => i.op === op).pop()?.args;
    expect(last('USER')).toBe('10001:10001');
    expect(last('EXPOSE')).toBe('8080');
    expect(last('STOPSIGNAL')).toBe('SIGTERM');
    expect(last('ENTRYPOINT')).toBe('["/usr/bin/tini", "--"]');
    expect(last('CMD')).toBe('["node", "/app/entry.mjs"]');
    expect(last('HEALTHCHECK')).toContain('/_/ready');
    const env = finalStage
      .filter((i) => i.op === 'ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/PORT=8080/);
    expect(env).toMatch(/DATA_DIR=\/tmp\//); // writable with a read-only root filesystem
    expect(env).toMatch(/ARC_BUNDLE=\/app\/dist\/\$\{BUNDLE\}\.js/);
    expect(arg('BUNDLE')).toBe('functions/${FUNCTION}');
  });

  it('copies exactly what .dockerignore lets into the context: the bundle, its map, package files, the entry', () => {
    const copied = finalStage
      .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))
      .map((i) => i.args.split(' ')[0] as string);
    expect(copied.sort()).toEqual(
      ['dist/${BUNDLE}.js', 'dist/${BUNDLE}.js.map', 'openfaas/entry.mjs', 'package.json'].sort(),
    );
    const ignore = readText('.dockerignore')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    const allowed = (path: string) => {
      // Docker's rules: the last matching line wins, and a pattern that matches a folder matches what is inside it.
      const prefixes = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
      let ok = true;
      for (const rule of ignore) {
        const neg = rule.startsWith('!');
        const glob = new RegExp(`^${(neg ? rule.slice(1) : rule).replace(/[.+]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
        if (neg ? glob.test(path) : prefixes.some((p) => glob.test(p))) ok = neg;
      }
      return ok;
    };
    for (const name of FUNCTION_NAMES) {
      for (const src of copied) expect(allowed(src.replace('${BUNDLE}', `functions/${name}`)), src).toBe(true);
    }
    for (const bundle of ['agent-host', 'gateway']) expect(allowed(`dist/${bundle}.js`)).toBe(true);
    expect(allowed('package-lock.json')).toBe(true);
    expect(allowed('node_modules/zod/package.json')).toBe(false);
    expect(allowed('.env')).toBe(false);
  });
});

describe('bundles in the image', () => {
  buildBundles();
  const deps = readJson<{ dependencies: Record<string, string> }>('package.json').dependencies;
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  /** Bare specifiers a bundle still imports at run time (what esbuild left external). */
  const imports = (file: string) => {
    const code = readFileSync(file, 'utf8');
    const specs = new Set<string>();
    // esbuild writes external imports as top-level `import … from "x";` lines, `import("x")` and `__require("x")`.
    for (const m of code.matchAll(
      /^import [^\n]*?from "([^"./][^"]*)";$|\bimport\("([^"./][^"]*)"\)|\b__require\("([^"./][^"]*)"\)/gm,
    )) {
      specs.add((m[1] ?? m[2] ?? m[3]) as string);
    }
    return [...specs].filter((s) => !builtins.has(s) && !builtins.has(s.split('/')[0] as string));
  };
  /** Required only when asked for, and absent on purpose: pg's native binding (`pg.native`, never used here). */
  const OPTIONAL = ['pg-native'];
  const pkg = (spec: string) =>
    spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string);

  it.each(FUNCTION_NAMES.map((n) => [n, missingReason(n)] as const))(
    '%s imports at run time only production dependencies that scripts/build.ts keeps external',
    (name, missing) => {
      if (missing) return void expect(missing).toMatch(/does not exist yet/);
      for (const spec of imports(rootPath('dist', 'functions', `${name}.js`))) {
        expect(EXTERNAL, `${name}: ${spec} was left out of the bundle`).toContain(pkg(spec));
        if (OPTIONAL.includes(pkg(spec))) continue;
        expect(deps, `${name}: ${spec} must be a production dependency (npm ci --omit=dev)`).toHaveProperty([
          pkg(spec),
        ]);
      }
    },
  );
});

describe('openfaas/entry.mjs', () => {
  it('turns secret files into variables (kebab → UPPER_SNAKE, newline trimmed), never overriding the environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arc-secrets-'));
    try {
      writeFileSync(join(dir, 'database-url'), 'postgres://arc:pw@db:5432/arc\n');
      writeFileSync(join(dir, 'log-level'), 'debug');
      writeFileSync(join(dir, '..data'), 'kubernetes symlink farm entry');
      const env: Record<string, string> = { LOG_LEVEL: 'warn' };
      const set = loadSecrets([join(dir, 'missing'), dir], env);
      expect(set).toEqual(['DATABASE_URL']);
      expect(env).toEqual({ LOG_LEVEL: 'warn', DATABASE_URL: 'postgres://arc:pw@db:5432/arc' });
      expect(secretEnvName('livekit-api-secret')).toBe('LIVEKIT_API_SECRET');
      expect(secretEnvName('turn_secret')).toBe('TURN_SECRET');
      expect(secretEnvName('..data')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
