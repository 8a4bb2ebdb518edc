// Per-turn latency waterfall from `turn` events: each stage as a bar from the previous stage to this one,
// in ms after the end of the user's speech (t = 0).
import type { AgentEventOf, TurnStages } from '../../../lib/protocol/events.js';
import { el } from './dom.js';

export const STAGES: { key: keyof TurnStages; label: string }[] = [
  { key: 'endOfTurn', label: 'VAD end of turn' },
  { key: 'sttFinal', label: 'STT final' },
  { key: 'brainFirstDelta', label: 'Brain first delta' },
  { key: 'firstSpeakableChunk', label: 'First chunk to TTS' },
  { key: 'ttsFirstChunk', label: 'TTS first chunk' },
  { key: 'firstAudio', label: 'First audio' },
];

export class WaterfallView {
  private readonly turns: AgentEventOf<'turn'>[] = [];

  constructor(
    private readonly current: HTMLElement,
    private readonly history: HTMLElement,
  ) {}

  clear(): void {
    this.turns.length = 0;
    this.current.replaceChildren(el('p', { class: 'muted', text: 'Speak to see where the time goes.' }));
    this.history.replaceChildren();
  }

  add(turn: AgentEventOf<'turn'>): void {
    this.turns.push(turn);
    this.renderCurrent(turn);
    this.renderHistory();
  }

  private renderCurrent(turn: AgentEventOf<'turn'>): void {
    const s = turn.stages;
    const total = Math.max(1, ...STAGES.map((x) => s[x.key] ?? 0));
    let prev = 0;
    const rows = STAGES.map(({ key, label }) => {
      const at = s[key];
      const row = el('div', { class: 'stage', attrs: { 'data-stage': key, role: 'listitem' } });
      const bar = el('div', { class: 'bar' });
      if (at === undefined) {
        row.dataset.missing = 'true';
        row.append(el('span', { class: 'label', text: label }), el('div', { class: 'track' }, bar), ms('—'));
        return row;
      }
      const from = Math.min(prev, at);
      bar.style.marginLeft = `${(from / total) * 100}%`;
      bar.style.width = `${Math.max(0.5, ((at - from) / total) * 100)}%`;
      bar.title = `${label}: ${Math.round(at - from)} ms (at ${Math.round(at)} ms)`;
      row.dataset.ms = String(Math.round(at));
      row.append(
        el('span', { class: 'label', text: label }),
        el('div', { class: 'track' }, bar),
        ms(`${Math.round(at)} ms`),
      );
      prev = Math.max(prev, at);
      return row;
    });
    this.current.replaceChildren(
      el('div', { attrs: { role: 'list', 'aria-label': `Latency of turn ${this.turns.length}` } }, ...rows),
    );
  }

  private renderHistory(): void {
    const rows = this.turns
      .slice(-8)
      .reverse()
      .map((t, i) =>
        el(
          'tr',
          {},
          el('th', { text: String(this.turns.length - i), attrs: { scope: 'row' } }),
          ...STAGES.map(({ key }) => el('td', { text: fmt(t.stages[key]) })),
        ),
      );
    this.history.replaceChildren(...rows);
  }
}

function ms(text: string): HTMLElement {
  return el('span', { class: 'ms', text });
}

function fmt(v: number | undefined): string {
  return v === undefined ? '—' : String(Math.round(v));
}
