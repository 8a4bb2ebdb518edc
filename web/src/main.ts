// The talk page: connect (local WebSocket or LiveKit room), stream the microphone, play the agent, and show
// the conversation, the speaking indicators, the latency waterfall and the retrieved memories.
import type { AgentEvent } from '../../lib/protocol/events.js';
import { AudioEngine, MicPermissionError } from './audio/engine.js';
import { LocalTransport } from './transport/local.js';
import { RoomTransport } from './transport/room.js';
import { type ConnectionState, type Transport, type TransportHandlers, unreachable } from './transport/types.js';
import { ConversationView } from './ui/conversation.js';
import { $, showError } from './ui/dom.js';
import { MemoriesView } from './ui/memories.js';
import { WaterfallView } from './ui/waterfall.js';
import { bindUserField, currentUserId } from './user.js';

interface ServerConfig {
  local: { path: string; sampleRates: number[] } | null;
  room: { url: string } | null;
}

const ui = {
  user: $('user-id') as HTMLInputElement,
  mode: $('mode') as HTMLSelectElement,
  talk: $('talk') as HTMLButtonElement,
  mute: $('mute') as HTMLButtonElement,
  hangup: $('hangup') as HTMLButtonElement,
  status: $('status'),
  error: $('error'),
  you: $('you-indicator'),
  agent: $('agent-indicator'),
  mic: $('mic-level') as HTMLMeterElement,
  session: $('session-id'),
};
const conversation = new ConversationView($('conversation'), $('live'));
const waterfall = new WaterfallView($('waterfall'), $('waterfall-history'));
const memories = new MemoriesView($('memories'));

let transport: Transport | undefined;
let engine: AudioEngine | undefined;
let state: ConnectionState = 'idle';
let sessionId: string | undefined;
let muted = false;
let meterTimer: number | undefined;
const received: AgentEvent[] = [];

/** Read by the browser tests (and handy in the console): what the page saw and played. */
const debug = {
  get state() {
    return state;
  },
  get sessionId() {
    return sessionId;
  },
  get audio() {
    return engine?.stats;
  },
  events: received,
};
(window as unknown as { arc: typeof debug }).arc = debug;

const STATUS_TEXT: Record<ConnectionState, string> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  connected: 'Connected — speak',
  closed: 'Call ended',
  error: 'Disconnected',
};

function setState(next: ConnectionState): void {
  state = next;
  document.body.dataset.state = next;
  ui.status.textContent = STATUS_TEXT[next];
  const live = next === 'connecting' || next === 'connected';
  ui.talk.disabled = live;
  ui.mode.disabled = live;
  ui.user.disabled = live;
  ui.mute.disabled = next !== 'connected';
  ui.hangup.disabled = !live;
  if (!live) {
    setIndicator(ui.you, 'idle');
    setIndicator(ui.agent, 'idle');
    void teardown();
  }
}

function setIndicator(node: HTMLElement, value: string): void {
  node.dataset.state = value;
  const label = node.querySelector('.value');
  if (label) label.textContent = value;
}

const handlers: TransportHandlers = {
  state: (s) => setState(s),
  ready: (info) => {
    sessionId = info.sessionId;
    ui.session.textContent = info.sessionId;
  },
  error: (message) => showError(ui.error, message),
  agentEvent: (e) => {
    received.push(e);
    conversation.handle(e);
    if (e.type === 'turn') waterfall.add(e);
    else if (e.type === 'memories') memories.show(e);
    else if (e.type === 'state') {
      if (e.user) setIndicator(ui.you, e.user);
      if (e.agent) setIndicator(ui.agent, e.agent);
    } else if (e.type === 'error') showError(ui.error, `${e.message} (${e.code})`);
  },
};

async function talk(): Promise<void> {
  if (transport) return;
  showError(ui.error, null);
  conversation.clear();
  waterfall.clear();
  memories.clear();
  ui.session.textContent = '—';
  sessionId = undefined;
  const mode = ui.mode.value === 'room' ? 'room' : 'local';
  setState('connecting');
  // A quick probe first, so "server down" is said as such rather than as an audio or socket failure.
  const reachable = await fetch('/api/config', { cache: 'no-store' }).then(
    (r) => r.ok,
    () => false,
  );
  if (!reachable) {
    showError(ui.error, unreachable());
    setState('error');
    return;
  }
  engine = new AudioEngine();
  try {
    // Room mode publishes the microphone through LiveKit; local mode captures it here.
    await engine.start({ capture: mode === 'local', playbackRate: 24000 });
  } catch (err) {
    showError(
      ui.error,
      err instanceof MicPermissionError ? err.message : `Audio could not start: ${(err as Error).message}`,
    );
    setState('error');
    return;
  }
  meterTimer = window.setInterval(() => {
    if (engine) ui.mic.value = engine.stats.micLevel;
  }, 100);
  const userId = currentUserId();
  transport =
    mode === 'room' ? new RoomTransport(engine, userId, handlers) : new LocalTransport(engine, userId, handlers);
  await transport.start();
}

async function hangup(): Promise<void> {
  await transport?.hangup();
}

async function teardown(): Promise<void> {
  transport = undefined;
  muted = false;
  ui.mute.setAttribute('aria-pressed', 'false');
  ui.mute.textContent = 'Mute';
  clearInterval(meterTimer);
  ui.mic.value = 0;
  const e = engine;
  engine = undefined;
  // Keep the stats readable after the call (tests read them); the graph itself is released.
  if (e) {
    Object.assign(debug, { lastAudio: { ...e.stats } });
    await e.stop();
  }
}

function toggleMute(): void {
  if (!transport) return;
  muted = !muted;
  transport.setMuted(muted);
  ui.mute.setAttribute('aria-pressed', String(muted));
  ui.mute.textContent = muted ? 'Unmute' : 'Mute';
  ui.status.textContent = muted ? 'Muted — the agent hears silence' : STATUS_TEXT.connected;
}

async function loadServerConfig(): Promise<void> {
  try {
    const res = await fetch('/api/config');
    const cfg = (await res.json()) as ServerConfig;
    for (const opt of Array.from(ui.mode.options)) {
      const available = opt.value === 'local' ? cfg.local !== null : cfg.room !== null;
      opt.disabled = !available;
      if (!available) opt.textContent += ' — not available here';
    }
    ui.mode.value = cfg.local ? 'local' : cfg.room ? 'room' : 'local';
  } catch {
    showError(ui.error, unreachable());
  }
}

ui.talk.addEventListener('click', () => void talk());
ui.hangup.addEventListener('click', () => void hangup());
ui.mute.addEventListener('click', toggleMute);
$('error-dismiss').addEventListener('click', () => showError(ui.error, null));
bindUserField(ui.user, () => {});
document.addEventListener('keydown', (e) => {
  const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement;
  if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === 'm' || e.key === 'M') toggleMute();
  else if (e.key === 'Escape') void hangup();
});
window.addEventListener('pagehide', () => void transport?.hangup());

setState('idle');
conversation.clear();
waterfall.clear();
memories.clear();
void loadServerConfig();
