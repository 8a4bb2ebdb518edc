// Starts a function bundle as its own process exactly as the image does (`node openfaas/entry.mjs`, env from
// stack.yml), with local stand-ins for the cluster: NATS on this machine, a fake OpenAI-compatible LLM server.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTRACTS } from '../../lib/protocol/contracts/index.js';
import type { FunctionName } from '../../lib/protocol/subjects.js';
import { freePort } from '../helpers/env.js';
import { bundlePath, handlerExists, readStack, rootPath } from './deploy-files.js';

export const MODEL_VARS = ['LLM_MODEL_PATH', 'PIPER_MODEL', 'WHISPER_MODEL', 'EMBEDDING_MODEL'];

/** Bundles every function that has a handler (`npm run build`), so the processes run what the images would hold. */
export function buildBundles(): void {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: rootPath(), stdio: 'pipe' });
}

/** Why a function cannot be run yet, or undefined when it can. */
export function missingReason(name: string): string | undefined {
  if (!handlerExists(name)) return `functions/${name}/handler.ts does not exist yet`;
  if (!existsSync(bundlePath(name))) return `dist/functions/${name}.js was not built`;
  return undefined;
}

/** A fake OpenAI-compatible server: streams `deltas` chunks `gapMs` apart, then [DONE]. */
export async function startFakeLlm(deltas = 8, gapMs = 40): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404).end();
      return;
    }
    req.resume();
    req.on('end', async () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < deltas && !res.destroyed; i++) {
        const content = i === deltas - 1 ? 'done.' : `word${i} `;
        res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`);
        await new Promise((r) => setTimeout(r, gapMs));
      }
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface FunctionProcess {
  name: string;
  url: string;
  child: ChildProcess;
  env: Record<string, string>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  output(): string;
  /** Structured log lines so far. */
  logs(): Record<string, unknown>[];
  /** Kills it if still running and removes its data dir. */
  dispose(): Promise<void>;
}

/**
 * The environment stack.yml gives `name`, with cluster addresses replaced by local ones: NATS here, a free PORT,
 * a private DATA_DIR, no secrets dir (DATABASE_URL unset → embedded PGlite), model paths only where the file exists.
 */
export function stackEnv(name: string, local: { natsUrl: string; port: number; dataDir: string; llmUrl?: string }) {
  const fn = readStack().functions[name];
  if (!fn) throw new Error(`stack.yml has no function ${name}`);
  const env: Record<string, string> = { ...fn.environment };
  for (const v of MODEL_VARS) if (env[v] !== undefined && !existsSync(env[v] as string)) delete env[v];
  delete env.FUNCTION_GATEWAY_URL; // no OpenFaaS gateway here: calls between functions go over NATS
  env.NATS_URL = local.natsUrl;
  env.PORT = String(local.port);
  env.DATA_DIR = local.dataDir;
  if (env.LLM_ENDPOINT && local.llmUrl) env.LLM_ENDPOINT = local.llmUrl;
  return env;
}

export async function startFunctionProcess(
  name: string,
  local: { natsUrl: string; llmUrl?: string; logLevel?: string },
): Promise<FunctionProcess> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `arc-deploy-${name}-`));
  const secretsDir = join(dataDir, 'secrets');
  const env = stackEnv(name, { natsUrl: local.natsUrl, port, dataDir: join(dataDir, 'data'), llmUrl: local.llmUrl });
  if (local.logLevel) env.LOG_LEVEL = local.logLevel;
  const child = spawn(process.execPath, [rootPath('openfaas', 'entry.mjs')], {
    cwd: dataDir,
    // Only what the image would have: PATH (speech engines) and the function's own variables.
    env: { PATH: process.env.PATH ?? '', ...env, ARC_BUNDLE: bundlePath(name), ARC_SECRETS_DIRS: secretsDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    child,
    env,
    exited,
    output: () => output,
    logs: () =>
      output
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    async dispose() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `path` until it answers 200; returns the milliseconds waited. Fails early if the process exits. */
export async function waitFor(p: FunctionProcess, path: string, timeoutMs = 30_000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if (p.child.exitCode !== null) throw new Error(`${p.name} exited ${p.child.exitCode}:\n${p.output().slice(-3000)}`);
    const ok = await fetch(`${p.url}${path}`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${p.name}: ${path} not 200 after ${timeoutMs} ms:\n${p.output().slice(-3000)}`);
}

/** A minimal valid request per function, from its contract in lib/protocol/contracts. */
export function sampleRequest(name: FunctionName, text = 'Hello there, how are you today?', batch = 1): unknown {
  const id = randomUUID().replaceAll('-', '').slice(0, 16);
  switch (name) {
    case 'brain':
      return { requestId: `r${id}`, sessionId: 'deploy-test', userId: 'deploy-test-user', text };
    case 'tts':
      return { requestId: `r${id}`, text };
    case 'embed':
      // Distinct texts: the embedder caches repeated ones.
      return { texts: Array.from({ length: batch }, (_, i) => `${text} (${id}-${i})`) };
    case 'session-write':
      return {
        kind: 'session-start',
        eventId: `e${id}`,
        sessionId: `s${id}`,
        userId: 'u',
        startTime: new Date().toISOString(),
      };
  }
}

/** `arc_function_requests_total{function,transport,outcome="ok"}` of one replica, from its /metrics. */
export async function servedCount(p: FunctionProcess, transport: 'nats' | 'http'): Promise<number> {
  const text = await (await fetch(`${p.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('arc_function_requests_total{') &&
        l.includes(`function="${p.name}"`) &&
        l.includes(`transport="${transport}"`) &&
        l.includes('outcome="ok"'),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Checks one HTTP reply body against the contract; returns a short description of what came back. */
export async function checkHttpReply(name: FunctionName, res: Response): Promise<string> {
  const contract = CONTRACTS[name];
  if (res.status !== 200) throw new Error(`${name}: HTTP ${res.status} ${await res.text()}`);
  if (contract.mode === 'unary') {
    contract.response.parse(await res.json());
    return 'json reply';
  }
  if (contract.encoding === 'binary') {
    const bytes = (await res.arrayBuffer()).byteLength;
    if (bytes === 0 || bytes % 2 !== 0) throw new Error(`${name}: ${bytes} bytes of s16le`);
    return `${bytes} bytes of ${res.headers.get('content-type')}`;
  }
  const lines = (await res.text()).trim().split('\n');
  for (const line of lines) contract.chunk.parse(JSON.parse(line));
  return `${lines.length} chunks`;
}

export function postRequest(url: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
}
