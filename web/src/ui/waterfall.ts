// Per-turn latency waterfall from `turn` events: each stage as a bar from the previous stage to this one,
// in ms after the end of the user's speech (t = 0); earlier turns in a table.
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
  private shownAnswered = false;

  constructor(
    private readonly current: HTMLElement,
    private readonly history: HTMLElement,
  ) {}

  clear(): void {
    this.turns.length = 0;
    this.shownAnswered = false;
    this.current.replaceChildren(el('p', { class: 'muted', text: 'Speak to see where the time goes.' }));
    this.history.replaceChildren();
  }

  /**
   * Every turn goes to the history table; the bars show the last turn the agent answered out loud (a turn
   * cut short — noise taken for speech, an interruption — would otherwise replace a full waterfall with dashes).
   */
  add(turn: AgentEventOf<'turn'>): void {
    this.turns.push(turn);
    if (turn.stages.firstAudio !== undefined || !this.shownAnswered) {
      this.shownAnswered ||= turn.stages.firstAudio !== undefined;
      this.renderCurrent(turn);
    }
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
    this.current.dataset.turn = turn.turnId;
    this.current.replaceChildren(
      el('div', { attrs: { role: 'list', 'aria-label': `Latency of turn ${this.turns.indexOf(turn) + 1}` } }, ...rows),
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
