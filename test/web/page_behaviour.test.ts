// The talk page's own behaviour in chromium against a gateway with a scripted agent (no engines): microphone
// frames on the wire, playback and barge-in clear, mute from the keyboard, and the errors a person sees —
// microphone denied, server unreachable, and room mode failing to reach a LiveKit server (there is none here:
// this exercises the room-mode code up to the media connection).
import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedSessions, startTestGateway, type TestGateway } from '../gateway/helpers.js';
import { freePort } from '../helpers/env.js';
import { buildWebInto, launchChromium, probe, questionWav, waitForPage } from './helpers.js';

let webRoot: string;
let browser: Browser;
let sessions: ScriptedSessions;
let gw: TestGateway;

beforeAll(async () => {
  [webRoot, browser] = await Promise.all([buildWebInto(), launchChromium({ wav: questionWav('hello', 0.5, 5) })]);
  sessions = new ScriptedSessions();
  gw = await startTestGateway({ local: sessions, webRoot });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gw?.close();
  rmSync(webRoot, { recursive: true, force: true });
});

async function connect(page: Page): Promise<void> {
  await page.goto(gw.url);
  await page.click('#talk');
  await waitForPage(page, 'connected', (p) => p.state === 'connected', 10_000);
}

describe('talk page against a scripted agent', () => {
  it('sends 20 ms frames of 16 kHz PCM, plays agent PCM (measured by the analyser), and drops it on clear', async () => {
    const page = await browser.newPage();
    await connect(page);
    const s = sessions.opened.at(-1);
    if (!s) throw new Error('no session');
    await expect.poll(() => s.pcm.length, { timeout: 5_000 }).toBeGreaterThan(25);
    expect(new Set(s.pcm.map((f) => f.length))).toEqual(new Set([320])); // 20 ms at 16 kHz
    // The fake microphone plays "hello": some frames carry sound.
    await expect.poll(() => s.pcm.some((f) => f.some((v) => Math.abs(v) > 1000)), { timeout: 5_000 }).toBe(true);

    // One second of a 440 Hz tone from the agent, in 20 ms frames at 24 kHz.
    for (let i = 0; i < 50; i++) {
      const f = new Int16Array(480);
      for (let j = 0; j < f.length; j++)
        f[j] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (i * 480 + j)) / 24000));
      s.listener.audio(f, 24000);
    }
    const played = await waitForPage(page, 'tone played', (p) => (p.audio?.audibleMs ?? 0) > 300, 5_000);
    expect(played.audio?.peakRms).toBeGreaterThan(0.1);
    s.listener.clear(); // barge-in: what is queued is dropped, playback stops well short of the second sent
    await expect
      .poll(async () => ((await probe(page)).audio as { queuedMs?: number } | undefined)?.queuedMs, { timeout: 3_000 })
      .toBe(0);
    await page.waitForTimeout(300); // stats arrive every 100 ms
    const before = (await probe(page)).audio?.playedMs ?? 0;
    expect(before).toBeLessThan(950);
    await page.waitForTimeout(500);
    expect((await probe(page)).audio?.playedMs).toBe(before);

    // M mutes from the keyboard: the button says so and the server hears silence.
    await page.keyboard.press('m');
    expect(await page.getAttribute('#mute', 'aria-pressed')).toBe('true');
    const from = s.pcm.length;
    await expect.poll(() => s.pcm.length, { timeout: 3_000 }).toBeGreaterThan(from + 20);
    expect(s.pcm.slice(from + 5).every((f) => f.every((v) => v === 0))).toBe(true);
    await page.keyboard.press('Escape');
    await waitForPage(page, 'closed', (p) => p.state === 'closed', 5_000);
    expect(s.closed).toBe('hung up');
    await page.close();
  }, 40_000);

  it('a typed server error is shown to the person (session limit reached)', async () => {
    const full = await startTestGateway({ local: new ScriptedSessions(), webRoot, limits: { maxSessions: 0 } });
    const page = await browser.newPage();
    try {
      await page.goto(full.url);
      await page.click('#talk');
      await waitForPage(page, 'error state', (p) => p.state === 'error', 10_000);
      expect(await page.textContent('#error')).toMatch(/agent is busy/);
      expect(await page.isVisible('#error')).toBe(true);
      await page.click('#error-dismiss');
      expect(await page.isVisible('#error')).toBe(false);
    } finally {
      await page.close();
      await full.close();
    }
  }, 20_000);
});

describe('errors a person must understand', () => {
  it('microphone permission denied', async () => {
    const denying = await launchChromium({ fakeUi: false });
    try {
      const page = await denying.newPage();
      await page.goto(gw.url);
      await page.click('#talk');
      await waitForPage(page, 'error state', (p) => p.state === 'error', 10_000);
      expect(await page.textContent('#error')).toMatch(/Microphone access was denied/);
      expect(await page.isEnabled('#talk')).toBe(true); // can try again
    } finally {
      await denying.close();
    }
  }, 20_000);

  it('server unreachable: the page loaded, then the server went away', async () => {
    const g = await startTestGateway({ local: new ScriptedSessions(), webRoot });
    const page = await browser.newPage();
    try {
      await page.goto(g.url);
      await g.close();
      await page.click('#talk');
      await waitForPage(page, 'error state', (p) => p.state === 'error', 10_000);
      expect(await page.textContent('#error')).toMatch(/Cannot reach the ARC server at 127\.0\.0\.1:\d+/);
    } finally {
      await page.close();
    }
  }, 20_000);

  it('room mode: token from /api/token, livekit-client loaded on demand, events stream opened; no media server → clear error', async () => {
    const port = await freePort(); // nothing listens there
    const roomGw = await startTestGateway({
      webRoot,
      env: { LIVEKIT_URL: `ws://127.0.0.1:${port}`, LIVEKIT_API_KEY: 'devkey', LIVEKIT_API_SECRET: 'x'.repeat(32) },
    });
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    try {
      await page.goto(roomGw.url);
      // This gateway has no local mode: the page offers room mode only.
      await expect.poll(() => page.inputValue('#mode')).toBe('room');
      expect(await page.locator('#mode option[value="local"]').isDisabled()).toBe(true);
      expect(requests.some((p) => p.includes('livekit-client'))).toBe(false); // not loaded until needed
      await page.click('#talk');
      await waitForPage(page, 'error state', (p) => p.state === 'error', 20_000);
      expect(await page.textContent('#error')).toMatch(
        new RegExp(`Could not connect to the media server at ws://127.0.0.1:${port}`),
      );
      expect(requests).toContain('/api/token');
      expect(requests.some((p) => p.includes('livekit-client'))).toBe(true);
      expect(requests.some((p) => /^\/api\/events\/arc-[0-9a-f-]+$/.test(p))).toBe(true);
    } finally {
      await page.close();
      await roomGw.close();
    }
  }, 30_000);
});
