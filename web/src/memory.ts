// The memory page: this user's past sessions (duration, turns, export) and semantic search over what they said.
import { $, el, showError } from './ui/dom.js';
import { bindUserField, currentUserId } from './user.js';

interface SessionSummary {
  id: string;
  startTime: string;
  endTime: string | null;
  durationSeconds: number | null;
  turnCount: number;
  firstWords: string | null;
}

interface SearchHit {
  sessionId: string;
  role: 'user' | 'assistant';
  text: string;
  similarity: number;
  createdAt: string;
}

const errorBanner = $('error');
const sessionsBody = $('sessions');
const results = $('results');
const form = $('search-form') as HTMLFormElement;
const query = $('query') as HTMLInputElement;
const status = $('status');

async function getJson<T>(url: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch {
    throw new Error(`Cannot reach the ARC server at ${location.host}. Is it running (npm start)?`);
  }
  const body = (await res.json().catch(() => ({}))) as T & { message?: string; code?: string };
  if (!res.ok) throw new Error(body.message ?? `request failed (${res.status})`);
  return body;
}

async function loadSessions(): Promise<void> {
  const userId = currentUserId();
  status.textContent = 'Loading sessions…';
  try {
    const { sessions } = await getJson<{ sessions: SessionSummary[] }>(
      `/api/memory/sessions?userId=${encodeURIComponent(userId)}`,
    );
    showError(errorBanner, null);
    if (sessions.length === 0) {
      sessionsBody.replaceChildren(
        el('tr', {}, el('td', { text: 'No conversations yet for this user.', attrs: { colspan: '5' } })),
      );
    } else {
      sessionsBody.replaceChildren(...sessions.map((s) => sessionRow(userId, s)));
    }
    status.textContent = `${sessions.length} session(s) for ${userId}`;
  } catch (err) {
    showError(errorBanner, (err as Error).message);
    status.textContent = '';
  }
}

function sessionRow(userId: string, s: SessionSummary): HTMLElement {
  const q = `userId=${encodeURIComponent(userId)}`;
  const base = `/api/memory/sessions/${encodeURIComponent(s.id)}/export?${q}`;
  return el(
    'tr',
    { attrs: { 'data-session': s.id } },
    el('td', {}, el('time', { text: new Date(s.startTime).toLocaleString(), attrs: { datetime: s.startTime } })),
    el('td', { text: duration(s) }),
    el('td', { class: 'num', text: String(s.turnCount) }),
    el('td', { class: 'first-words', text: s.firstWords ?? '—' }),
    el(
      'td',
      { class: 'actions' },
      el('a', { text: 'JSON', attrs: { href: `${base}&format=json`, download: `arc-session-${s.id}.json` } }),
      ' ',
      el('a', { text: 'Markdown', attrs: { href: `${base}&format=md`, download: `arc-session-${s.id}.md` } }),
    ),
  );
}

function duration(s: SessionSummary): string {
  if (s.durationSeconds === null) return s.endTime ? '—' : 'in progress';
  const sec = Math.round(s.durationSeconds);
  return sec < 60 ? `${sec} s` : `${Math.floor(sec / 60)} min ${sec % 60} s`;
}

async function search(): Promise<void> {
  const q = query.value.trim();
  if (!q) return;
  const userId = currentUserId();
  results.replaceChildren(el('li', { class: 'muted', text: 'Searching…' }));
  try {
    const { results: hits } = await getJson<{ results: SearchHit[] }>(
      `/api/memory/search?userId=${encodeURIComponent(userId)}&q=${encodeURIComponent(q)}`,
    );
    showError(errorBanner, null);
    results.replaceChildren(
      ...(hits.length === 0
        ? [el('li', { class: 'muted', text: 'Nothing found.' })]
        : hits.map((h) =>
            el(
              'li',
              { class: 'memory', attrs: { 'data-session': h.sessionId } },
              el('span', { class: 'sim', text: `${Math.round(h.similarity * 100)}%` }),
              el('span', { class: 'text', text: h.text }),
              el('span', {
                class: 'meta',
                text: `${h.role === 'user' ? 'you said' : 'agent said'} · ${new Date(h.createdAt).toLocaleString()} · session ${h.sessionId.slice(0, 8)}`,
              }),
            ),
          )),
    );
  } catch (err) {
    results.replaceChildren();
    showError(errorBanner, (err as Error).message);
  }
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  void search();
});
$('refresh').addEventListener('click', () => void loadSessions());
$('error-dismiss').addEventListener('click', () => showError(errorBanner, null));
bindUserField($('user-id') as HTMLInputElement, () => {
  results.replaceChildren();
  void loadSessions();
});
void loadSessions();
