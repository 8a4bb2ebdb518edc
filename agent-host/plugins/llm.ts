// SherlockLLM: an agents-js LLM whose "model" is the brain function, reached through FunctionClient.
import { randomUUID } from 'node:crypto';
import { type APIConnectOptions, DEFAULT_API_CONNECT_OPTIONS, llm } from '@livekit/agents';
import type { FunctionClient } from '../../lib/bus/client.js';
import type { Logger } from '../../lib/log.js';
import type { BrainChunk, HistoryTurn, Memory } from '../../lib/protocol/index.js';
import { BRAIN_MAX_TEXT_CHARS, HDR_HANDLER_MS } from '../../lib/protocol/index.js';

export interface SherlockLLMOptions {
  /** How the brain is reached (NATS first, HTTP fallback). */
  client: FunctionClient;
  log: Logger;
  /** The conversation this LLM speaks in; the brain scopes memory by user and session. */
  sessionId: string;
  /** Whose memories the brain may read (the participant identity). */
  userId: string;
  /** Earlier turns sent along as history (the brain also reads the session from the database). */
  historyTurns: number;
  /** Said when the brain cannot be reached, so the user hears something and the session stays up. */
  apology: string;
  /** W3C trace context of the current turn, so the brain's spans join the turn's trace. */
  traceparent?: () => string | undefined;
  /** Called when a brain request starts (the reply that follows belongs to it). */
  onStart?: (requestId: string) => void;
  /**
   * Called for each text delta as it arrives. The first of a reply carries timing: when the request was sent
   * (performance.now()), the brain's own time to it (Arc-Handler-Ms) and the transport that served it.
   */
  onDelta?: (requestId: string, delta: string, first?: FirstDeltaInfo) => void;
  /** Called with the memories the brain retrieved for a turn (shown in the UI). */
  onContext?: (requestId: string, memories: Memory[]) => void;
  /** Called when a reply is complete, with the brain's own stage timings. */
  onFinal?: (requestId: string, final: Extract<BrainChunk, { type: 'final' }>) => void;
  /** Called when a reply fails (the apology is spoken instead). */
  onError?: (requestId: string, error: Error) => void;
}

export interface FirstDeltaInfo {
  sentAt: number;
  handlerMs?: number;
  transport?: string;
}

const DEFAULTS = { historyTurns: 8, apology: "Sorry, I can't answer right now. Please try again in a moment." };

export class SherlockLLM extends llm.LLM {
  readonly options: SherlockLLMOptions;
  #model = 'brain';
  /** Streams still generating, with when they started. */
  readonly #active = new Map<SherlockLLMStream, number>();

  constructor(options: Omit<SherlockLLMOptions, keyof typeof DEFAULTS> & Partial<typeof DEFAULTS>) {
    super();
    this.options = { ...DEFAULTS, ...options };
  }

  label(): string {
    return 'arc.SherlockLLM';
  }

  override get model(): string {
    return this.#model;
  }

  override get provider(): string {
    return 'arc-brain';
  }

  /** Remembers which responder the brain used (`openai:…`, `memory-responder …`) for metrics and logs. */
  noteModel(model: string): void {
    this.#model = model;
  }

  chat({ chatCtx, connOptions }: { chatCtx: llm.ChatContext; connOptions?: APIConnectOptions }): SherlockLLMStream {
    // Retrying a brain call would duplicate the reply: the client already falls back across transports.
    const stream = new SherlockLLMStream(this, {
      chatCtx,
      connOptions: { ...(connOptions ?? DEFAULT_API_CONNECT_OPTIONS), maxRetry: 0 },
    });
    this.#active.set(stream, Date.now());
    return stream;
  }

  /**
   * Stops the brain requests of replies that started before `before` (wall-clock ms). agents-js closes an
   * interrupted reply's LLM stream only once its text pipeline unblocks (seconds, after its task timeout);
   * the host calls this the moment a reply is interrupted, so the brain stops generating at once.
   */
  cancelStartedBefore(before: number): number {
    let n = 0;
    for (const [stream, startedAt] of this.#active) {
      if (startedAt < before) {
        stream.close();
        n++;
      }
    }
    return n;
  }

  /** Brain requests still generating (0 when the conversation is idle; a leak check for tests). */
  get activeRequests(): number {
    return this.#active.size;
  }

  /** @internal */
  _finished(stream: SherlockLLMStream): void {
    this.#active.delete(stream);
  }
}

export class SherlockLLMStream extends llm.LLMStream {
  readonly #owner: SherlockLLM;
  readonly requestId = randomUUID();

  constructor(owner: SherlockLLM, params: { chatCtx: llm.ChatContext; connOptions: APIConnectOptions }) {
    super(owner, params);
    this.#owner = owner;
  }

  protected async run(): Promise<void> {
    try {
      await this.generate();
    } finally {
      this.#owner._finished(this);
    }
  }

  private async generate(): Promise<void> {
    const o = this.#owner.options;
    const { text, history } = lastUserTurn(this.chatCtx, o.historyTurns);
    if (!text) return;
    o.onStart?.(this.requestId);
    const signal = this.abortController.signal;
    const put = (content: string) => this.queue.put({ id: this.requestId, delta: { role: 'assistant', content } });
    let spoke = false;
    const sentAt = performance.now();
    try {
      const stream = o.client.stream(
        'brain',
        // The host stores the turns: the user's as committed (a preemptive guess may be discarded) and the
        // reply as actually heard.
        { requestId: this.requestId, sessionId: o.sessionId, userId: o.userId, text, history, persist: 'none' },
        { signal, traceparent: o.traceparent?.() },
      );
      for await (const chunk of stream) {
        if (chunk.type === 'delta' && chunk.text) {
          const handler = Number(stream.headers[HDR_HANDLER_MS] ?? stream.headers[HDR_HANDLER_MS.toLowerCase()]);
          const info = spoke
            ? undefined
            : { sentAt, handlerMs: Number.isFinite(handler) ? handler : undefined, transport: stream.transport };
          o.onDelta?.(this.requestId, chunk.text, info);
          spoke = true;
          put(chunk.text);
        } else if (chunk.type === 'context') {
          o.onContext?.(this.requestId, chunk.memories);
        } else if (chunk.type === 'final') {
          this.#owner.noteModel(chunk.model);
          o.onFinal?.(this.requestId, chunk);
        }
      }
    } catch (err) {
      if (signal.aborted) return; // interrupted: the stream was cancelled on purpose
      const error = err instanceof Error ? err : new Error(String(err));
      o.log.warn(
        { requestId: this.requestId, err: error.message, code: (err as { code?: string }).code },
        'brain failed; apologising',
      );
      o.onError?.(this.requestId, error);
      // Keep what was already said; otherwise apologise so the user is never left in silence.
      if (!spoke) put(o.apology);
    }
  }
}

/** The text the brain answers (the last user message) and the turns before it, oldest first. */
export function lastUserTurn(
  chatCtx: llm.ChatContext,
  historyTurns: number,
): { text?: string; history: HistoryTurn[] } {
  const messages = chatCtx.items.filter(
    (i): i is llm.ChatMessage => i instanceof llm.ChatMessage && (i.role === 'user' || i.role === 'assistant'),
  );
  let last = messages.length - 1;
  while (last >= 0 && messages[last]?.role !== 'user') last--;
  const current = messages[last];
  const text = current?.textContent?.trim();
  const history = messages
    .slice(Math.max(0, last - historyTurns), Math.max(0, last))
    .map((m) => ({
      role: m.role as 'user' | 'assistant',
      text: (m.textContent ?? '').slice(0, BRAIN_MAX_TEXT_CHARS),
      ...(m.interrupted ? { interrupted: true } : {}),
    }))
    .filter((t) => t.text.trim().length > 0);
  return { text: text ? text.slice(0, BRAIN_MAX_TEXT_CHARS) : undefined, history };
}
