// The live conversation: the user's words as they are recognised, the agent's reply as it streams.
import type { AgentEvent, AgentEventOf } from '../../../lib/protocol/events.js';
import { el } from './dom.js';

export class ConversationView {
  private userBubble: HTMLElement | undefined;
  private agentBubble: HTMLElement | undefined;
  private agentRequest: string | undefined;

  constructor(
    private readonly list: HTMLElement,
    private readonly live: HTMLElement,
  ) {}

  clear(): void {
    this.list.replaceChildren();
    this.live.textContent = '';
    this.userBubble = undefined;
    this.agentBubble = undefined;
  }

  handle(e: AgentEvent): void {
    if (e.type === 'transcript') this.transcript(e);
    else if (e.type === 'reply') this.reply(e);
    else if (e.type === 'reply-end') this.replyEnd(e);
  }

  private transcript(e: AgentEventOf<'transcript'>): void {
    if (!e.final) {
      this.live.textContent = e.text;
      return;
    }
    this.live.textContent = '';
    if (!e.text.trim()) return;
    // Several final segments of one utterance join one bubble until the agent answers.
    if (this.userBubble && !this.agentBubble) {
      const text = this.userBubble.querySelector('.text') as HTMLElement;
      text.textContent = `${text.textContent} ${e.text}`;
    } else {
      this.userBubble = this.bubble('user', 'You', e.text);
      this.agentBubble = undefined;
    }
    this.scroll();
  }

  private reply(e: AgentEventOf<'reply'>): void {
    if (!this.agentBubble || this.agentRequest !== e.requestId) {
      this.agentBubble = this.bubble('agent', 'Agent', '');
      this.agentBubble.dataset.streaming = 'true';
      this.agentRequest = e.requestId;
    }
    const text = this.agentBubble.querySelector('.text') as HTMLElement;
    text.textContent = `${text.textContent}${e.delta}`;
    this.scroll();
  }

  private replyEnd(e: AgentEventOf<'reply-end'>): void {
    const b = this.agentBubble ?? this.bubble('agent', 'Agent', '');
    delete b.dataset.streaming;
    // What the user actually heard: shorter than the streamed text when they interrupted.
    if (e.text) (b.querySelector('.text') as HTMLElement).textContent = e.text;
    if (e.interrupted) b.append(el('span', { class: 'tag', text: 'interrupted' }));
    this.userBubble = undefined;
    this.agentBubble = undefined;
    this.agentRequest = undefined;
    this.scroll();
  }

  private bubble(role: 'user' | 'agent', who: string, text: string): HTMLElement {
    const b = el(
      'li',
      { class: `bubble ${role}`, attrs: { 'data-role': role } },
      el('span', { class: 'who', text: who }),
      el('span', { class: 'text', text }),
    );
    this.list.append(b);
    return b;
  }

  private scroll(): void {
    this.list.parentElement?.scrollTo({ top: this.list.parentElement.scrollHeight });
  }
}
