// The talk page in a real browser, local mode: Debian chromium with a fake microphone playing a synthesised
// question → AudioWorklet → WebSocket → gateway → agent host (Silero, PocketSphinx, brain and tts over NATS)
// → agent PCM back → playback worklet → analyser. Then the memory page shows and exports the conversation.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEventOf } from '../../lib/protocol/index.js';
import { step } from '../helpers/step.js';
import { uniqueUser } from '../helpers/voice-stack.js';
import {
  finalTranscripts,
  launchChromium,
  probe,
  questionWav,
  RESULTS,
  replies,
  startWebStack,
  type WebStack,
  waitForPage,
} from './helpers.js';

let stack: WebStack;
let browser: Browser;
let page: Page;
const userId = uniqueUser();
let sessionId: string | undefined;

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  [stack, browser] = await Promise.all([startWebStack(), launchChromium({ wav: questionWav('what is my name') })]);
  await step('remember a fact', 30_000, stack.remember(userId, 'my name is alice'));
  page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  // The page keeps the user id in localStorage; this user already told the agent their name.
  await page.addInitScript((id) => localStorage.setItem('arc.userId', id), userId);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('talk page, local mode, in chromium', () => {
  it('connects, shows the recognised words, streams the reply, plays agent audio, fills the waterfall', async () => {
    await page.goto(stack.url);
    expect(await page.inputValue('#user-id')).toBe(userId);
    // Keyboard only: focus the Talk button and press Enter.
    await page.focus('#talk');
    await page.keyboard.press('Enter');

    const ready = await waitForPage(page, 'connected', (p) => p.state === 'connected' && !!p.sessionId, 15_000);
    sessionId = ready.sessionId;
    expect(await page.textContent('#status')).toMatch(/Connected/);

    // The question is recognised and shown as the user's words.
    await page.locator('.bubble.user', { hasText: /name/ }).first().waitFor({ timeout: 30_000 });
    // The agent answers from memory, and the answer is streamed into the page.
    const answered = await waitForPage(page, 'a reply naming alice', (p) => replies(p).some((r) => /alice/i.test(r)));
    expect(finalTranscripts(answered).join(' ').toLowerCase()).toContain('name');
    await expect.poll(() => page.locator('.bubble.agent').last().textContent(), { timeout: 5_000 }).toMatch(/alice/i);
    expect(answered.events.some((e) => e.type === 'reply')).toBe(true); // deltas, not only the final text

    // Agent audio arrived and played: the analyser behind the playback worklet measured it.
    const played = await waitForPage(page, 'audible agent audio', (p) => (p.audio?.audibleMs ?? 0) > 1_000, 20_000);
    expect(played.audio?.playedMs).toBeGreaterThan(1_000);
    expect(played.audio?.peakRms).toBeGreaterThan(0.02);

    // The waterfall shows every stage of the answered turn.
    const turns = played.events.filter((e): e is AgentEventOf<'turn'> => e.type === 'turn');
    const full = turns.find((t) => t.stages.firstAudio !== undefined);
    expect(full, JSON.stringify(turns)).toBeDefined();
    // The bars show the last turn answered out loud (turns cut short only go to the table below them).
    await expect.poll(() => page.getAttribute('#waterfall', 'data-turn'), { timeout: 5_000 }).toBeTruthy();
    const shownTurn = await page.getAttribute('#waterfall', 'data-turn');
    const shown = (await probe(page)).events.find(
      (e): e is AgentEventOf<'turn'> => e.type === 'turn' && e.turnId === shownTurn,
    );
    expect(shown?.stages.firstAudio, `shown ${shownTurn}: ${JSON.stringify(turns)}`).toBeDefined();
    for (const stage of ['endOfTurn', 'sttFinal', 'brainFirstDelta', 'ttsFirstChunk', 'firstAudio']) {
      const ms = await page.getAttribute(`#waterfall .stage[data-stage="${stage}"]`, 'data-ms');
      expect(ms ?? `missing; stages: ${JSON.stringify(shown?.stages)}`, `${stage} of ${shownTurn}`).toMatch(/^\d+$/);
    }
    // The memory the answer came from is listed.
    await expect.poll(() => page.textContent('#memories')).toMatch(/my name is alice/i);
    // The speaking indicators follow the agent's state.
    expect(played.events.some((e) => e.type === 'state' && e.agent === 'speaking')).toBe(true);

    await page.screenshot({ path: join(RESULTS, 'talk.png') });
    if (process.env.TEST_VERBOSE) console.warn(JSON.stringify(full?.stages), JSON.stringify(played.audio));

    // Escape hangs up.
    await page.keyboard.press('Escape');
    await waitForPage(page, 'closed', (p) => p.state === 'closed', 10_000);
  }, 60_000);

  it('the memory page lists the session (duration, turns), finds it by meaning, exports JSON and Markdown', async () => {
    expect(sessionId).toBeDefined();
    // The session end is written through JetStream: wait until it is stored.
    await expect
      .poll(
        async () =>
          (await stack.pool.query('SELECT end_time FROM agents.sessions WHERE id = $1', [sessionId])).rows[0]?.end_time,
        { timeout: 10_000 },
      )
      .toBeTruthy();
    await page.goto(`${stack.url}/memory`);
    const row = page.locator(`#sessions tr[data-session="${sessionId}"]`);
    await row.waitFor({ timeout: 10_000 });
    const cells = await row.locator('td').allTextContents();
    expect(cells[1]).toMatch(/\d+ s/); // duration
    expect(Number(cells[2])).toBeGreaterThanOrEqual(2); // turns: the question and the answer
    expect(cells[3]?.toLowerCase()).toContain('name');

    await page.fill('#query', 'what am I called');
    await page.keyboard.press('Enter');
    await page.locator('#results .memory').first().waitFor({ timeout: 10_000 });
    expect((await page.textContent('#results')) ?? '').toMatch(/name/i);

    const jsonHref = (await row.locator('a', { hasText: 'JSON' }).getAttribute('href')) as string;
    const json = (await (await fetch(new URL(jsonHref, stack.url))).json()) as {
      session: { id: string };
      turns: { role: string; text: string }[];
    };
    expect(json.session.id).toBe(sessionId);
    expect(json.turns.map((t) => t.role)).toEqual(expect.arrayContaining(['user', 'assistant']));
    const mdHref = (await row.locator('a', { hasText: 'Markdown' }).getAttribute('href')) as string;
    const md = await (await fetch(new URL(mdHref, stack.url))).text();
    expect(md).toMatch(/^# Conversation /);
    expect(md).toMatch(/\*\*You\*\* \(\d\d:\d\d:\d\d\): .*name/);
    expect(md).toMatch(/\*\*Agent\*\*.*alice/i);
    await page.screenshot({ path: join(RESULTS, 'memory.png') });
  }, 30_000);
});
