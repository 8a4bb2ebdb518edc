// Browser-test plumbing: the voice stack in this process behind the real gateway, Debian's chromium driven by
// playwright-core with a fake microphone playing a synthesised question, and a few page probes.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { VoiceSessionOptions } from '../../agent-host/session.js';
import { type GatewayServer, startGateway } from '../../gateway/server.js';
import { createPool } from '../../lib/db/index.js';
import type { AgentEvent, BrainChunk } from '../../lib/protocol/index.js';
import { agentEventsSubject } from '../../lib/protocol/index.js';
import { localSessionsFrom } from '../../scripts/embedded/local-sessions.js';
import { retryWasmRace } from '../gateway/helpers.js';
import { step } from '../helpers/step.js';
import { startVoiceStack, type VoiceStack } from '../helpers/voice-stack.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const RESULTS = join(ROOT, 'test-results', 'web');
export const CHROMIUM = '/usr/bin/chromium';

/** Builds the web client from the tree into a folder of this test file's own (parallel files never collide). */
export async function buildWebInto(): Promise<string> {
  const { buildWeb } = await import('../../scripts/build.js');
  const out = mkdtempSync(join(tmpdir(), 'arc-web-'));
  await buildWeb(out);
  return out;
}

export interface WebStack {
  voice: VoiceStack;
  gateway: GatewayServer;
  pool: ReturnType<typeof createPool>;
  url: string;
  /** Stores "text" as this user's earlier turn (through the brain, as a text client would). */
  remember(userId: string, text: string): Promise<void>;
  stop(): Promise<void>;
}

/** The voice pipeline of test/helpers/voice-stack.ts (functions over real NATS, PGlite) behind our gateway. */
export async function startWebStack(session: Partial<VoiceSessionOptions> = {}): Promise<WebStack> {
  const webRoot = await step('build web client', 60_000, buildWebInto());
  const voice = await step(
    'start voice stack',
    120_000,
    retryWasmRace(() => startVoiceStack({ defaults: session })),
  );
  const { config, log, link } = voice.brain;
  const databaseUrl = config.databaseUrl as string;
  const pool = createPool({ url: databaseUrl, max: 2, statementTimeoutMs: 5_000, log });
  const gateway = await startGateway({
    config,
    log,
    port: 0,
    webRoot,
    nats: link,
    client: voice.client,
    db: { query: pool.query.bind(pool), ping: () => pool.query('SELECT 1').then(() => true) },
    local: localSessionsFrom(voice.host, {
      publish: (id, e) => link.connection?.publish(agentEventsSubject(id), JSON.stringify(e)),
    }),
  });
  return {
    voice,
    gateway,
    pool,
    url: gateway.url,
    async remember(userId, text) {
      const sessionId = `seed-${randomUUID().slice(0, 8)}`;
      const stream = voice.client.stream('brain', { requestId: randomUUID(), sessionId, userId, text });
      for await (const _ of stream as AsyncIterable<BrainChunk>) {
        // drain: the brain persists the turn through session-write
      }
      for (let i = 0; i < 100; i++) {
        const r = await pool.query('SELECT 1 FROM agents.conversations WHERE user_id = $1 AND text = $2', [
          userId,
          text,
        ]);
        if (r.rowCount) return;
        await new Promise((res) => setTimeout(res, 100));
      }
      throw new Error(`"${text}" was not stored for ${userId}`);
    },
    async stop() {
      await gateway.close();
      await pool.end();
      await voice.stop();
      rmSync(webRoot, { recursive: true, force: true });
    },
  };
}

/**
 * A question as the fake microphone plays it: flite kal16 (PocketSphinx hears it well), with silence before
 * (the greeting plays first) and a long silence after. Chromium loops the file, so the tail must outlast
 * the test's conversation.
 */
export function questionWav(text: string, leadS = 3.5, tailS = 25): string {
  const dir = join(tmpdir(), 'arc-web-test');
  mkdirSync(dir, { recursive: true });
  const name = `${text.replace(/\W+/g, '-')}-${leadS}-${tailS}`;
  const out = join(dir, `${name}.wav`);
  if (existsSync(out)) return out;
  const raw = join(dir, `${name}.raw.wav`);
  execFileSync('flite', ['-voice', 'kal16', '-t', text, '-o', raw]);
  execFileSync('sox', [raw, out, 'pad', String(leadS), String(tailS)]);
  return out;
}

export async function launchChromium(options: { wav?: string; fakeUi?: boolean } = {}): Promise<Browser> {
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-device-for-media-stream',
  ];
  if (options.fakeUi !== false) args.push('--use-fake-ui-for-media-stream');
  else args.push('--deny-permission-prompts');
  if (options.wav) args.push(`--use-file-for-fake-audio-capture=${options.wav}`);
  return step(
    'launch chromium',
    60_000,
    chromium.launch({ executablePath: CHROMIUM, headless: true, args, timeout: 60_000 }),
  );
}

/** Page-side state the talk page exposes for tests (window.arc). */
export interface PageProbe {
  state: string;
  sessionId?: string;
  audio?: { playedMs: number; audibleMs: number; peakRms: number };
  events: AgentEvent[];
}

export function probe(page: Page): Promise<PageProbe> {
  return page.evaluate(() => {
    const arc = (window as unknown as { arc: PageProbe & { lastAudio?: PageProbe['audio'] } }).arc;
    return {
      state: arc.state,
      sessionId: arc.sessionId,
      audio: arc.audio ?? arc.lastAudio,
      events: arc.events,
    };
  });
}

/** Polls the page until `pred` holds (or throws with what the page saw). */
export async function waitForPage(
  page: Page,
  what: string,
  pred: (p: PageProbe) => boolean,
  timeoutMs = 30_000,
): Promise<PageProbe> {
  const until = Date.now() + timeoutMs;
  let last: PageProbe | undefined;
  while (Date.now() < until) {
    last = await probe(page);
    if (pred(last)) return last;
    await page.waitForTimeout(200);
  }
  const seen = last?.events
    .filter((e) => e.type !== 'reply' && e.type !== 'state')
    .map((e) => JSON.stringify(e).slice(0, 140))
    .join('\n');
  throw new Error(`timed out waiting for ${what}; state=${last?.state}; events:\n${seen}`);
}

export function replies(p: PageProbe): string[] {
  return p.events.filter((e) => e.type === 'reply-end').map((e) => (e as { text: string }).text);
}

export function finalTranscripts(p: PageProbe): string[] {
  return p.events
    .filter((e) => e.type === 'transcript' && (e as { final: boolean }).final)
    .map((e) => (e as { text: string }).text);
}
