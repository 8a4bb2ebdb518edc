// Two tabs of one browser talking at the same time, as two users: separate sessions, separate memories. Both
// ask "what is my name"; only the second user ever said theirs, so only that tab's answer may contain it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEventOf } from '../../lib/protocol/index.js';
import { uniqueUser } from '../helpers/voice-stack.js';
import { launchChromium, questionWav, RESULTS, replies, startWebStack, type WebStack, waitForPage } from './helpers.js';

let stack: WebStack;
let browser: Browser;
let context: BrowserContext;
const anna = uniqueUser();
const bob = uniqueUser();

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  [stack, browser] = await Promise.all([
    startWebStack({ greeting: null }),
    launchChromium({ wav: questionWav('what is my name', 2.5) }),
  ]);
  await stack.remember(bob, 'my name is bob');
  context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Opens a tab, sets its user id through the page's own field, and presses Talk. */
async function tab(userId: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(stack.url);
  await page.fill('#user-id', userId);
  await page.press('#user-id', 'Tab'); // change event: saved
  await page.click('#talk');
  return page;
}

describe('two tabs at once', () => {
  it('get separate sessions, and each answer comes from its own user memory only', async () => {
    // The tabs share localStorage (one context): each tab reads its user id when Talk is pressed.
    const a = await tab(anna);
    const b = await tab(bob);
    const [readyA, readyB] = await Promise.all([
      waitForPage(a, 'tab A connected', (p) => p.state === 'connected' && !!p.sessionId, 15_000),
      waitForPage(b, 'tab B connected', (p) => p.state === 'connected' && !!p.sessionId, 15_000),
    ]);
    expect(readyA.sessionId).not.toBe(readyB.sessionId);
    expect(stack.voice.host.active).toBe(2);

    const [doneA, doneB] = await Promise.all([
      waitForPage(a, 'tab A answered', (p) => replies(p).length > 0 && (p.audio?.audibleMs ?? 0) > 500, 40_000),
      waitForPage(
        b,
        'tab B answered',
        (p) => replies(p).some((r) => /bob/i.test(r)) && (p.audio?.audibleMs ?? 0) > 500,
        40_000,
      ),
    ]);
    // Each page only saw its own session's events.
    for (const [p, id] of [
      [doneA, readyA.sessionId],
      [doneB, readyB.sessionId],
    ] as const) {
      const started = p.events.filter((e): e is AgentEventOf<'session'> => e.type === 'session');
      expect(started.map((e) => e.sessionId)).toEqual([id]);
    }
    expect(replies(doneA).join(' ')).not.toMatch(/bob/i);
    expect(replies(doneA).join(' ')).toMatch(/not told me your name/i);
    const memA = doneA.events.filter((e): e is AgentEventOf<'memories'> => e.type === 'memories');
    const memB = doneB.events.filter((e): e is AgentEventOf<'memories'> => e.type === 'memories');
    expect(memA.flatMap((m) => m.memories.map((x) => x.text)).join(' ')).not.toMatch(/bob/i);
    expect(memB.flatMap((m) => m.memories.map((x) => x.text)).join(' ')).toMatch(/my name is bob/i);
    await expect.poll(() => b.textContent('#memories')).toMatch(/my name is bob/i);
    await a.screenshot({ path: join(RESULTS, 'two-tabs-a.png') });
    await b.screenshot({ path: join(RESULTS, 'two-tabs-b.png') });

    await Promise.all([a.click('#hangup'), b.click('#hangup')]);
    await Promise.all([
      waitForPage(a, 'A closed', (p) => p.state === 'closed', 10_000),
      waitForPage(b, 'B closed', (p) => p.state === 'closed', 10_000),
    ]);

    // Stored apart: each user's sessions and search results hold only their own conversation.
    const sessions = async (u: string) =>
      (
        (await (await fetch(`${stack.url}/api/memory/sessions?userId=${u}`)).json()) as { sessions: { id: string }[] }
      ).sessions.map((s) => s.id);
    await expect.poll(() => sessions(anna), { timeout: 10_000 }).toEqual([readyA.sessionId]);
    const bobs = await sessions(bob);
    expect(bobs).toContain(readyB.sessionId);
    expect(bobs).not.toContain(readyA.sessionId);
    const search = (await (await fetch(`${stack.url}/api/memory/search?userId=${anna}&q=name`)).json()) as {
      results: { sessionId: string; text: string }[];
    };
    expect(search.results.length).toBeGreaterThan(0);
    expect(new Set(search.results.map((r) => r.sessionId))).toEqual(new Set([readyA.sessionId]));
    expect(search.results.map((r) => r.text).join(' ')).not.toMatch(/bob/i);
  }, 60_000);
});
