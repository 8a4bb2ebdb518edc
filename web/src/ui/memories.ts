// The memories the brain retrieved for the latest turn: what the agent "remembered" when it answered.
import type { AgentEventOf } from '../../../lib/protocol/events.js';
import { el } from './dom.js';

export class MemoriesView {
  constructor(private readonly list: HTMLElement) {}

  clear(): void {
    this.list.replaceChildren(el('li', { class: 'muted', text: 'Nothing retrieved yet.' }));
  }

  show(e: AgentEventOf<'memories'>): void {
    if (e.memories.length === 0) {
      this.list.replaceChildren(el('li', { class: 'muted', text: 'No memories matched this turn.' }));
      return;
    }
    this.list.replaceChildren(
      ...e.memories.map((m) =>
        el(
          'li',
          { class: 'memory', attrs: { 'data-source': m.source ?? 'semantic' } },
          el('span', { class: 'sim', text: `${Math.round(m.similarity * 100)}%` }),
          el('span', { class: 'text', text: m.text }),
          el('span', {
            class: 'meta',
            text: `${m.role === 'user' ? 'you said' : 'agent said'} · ${m.source ?? 'semantic'} · ${new Date(m.createdAt).toLocaleString()}`,
          }),
        ),
      ),
    );
  }
}
