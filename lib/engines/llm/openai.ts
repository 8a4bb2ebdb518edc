// OpenAI-compatible streaming chat (Ollama, vLLM, llama.cpp server): POST /v1/chat/completions, SSE deltas.
import type { Logger } from '../../log.js';
import { ArcError, TimeoutError } from '../../protocol/index.js';
import { anySignal } from '../../util/abort.js';
import type { GenerateInput, LlmAdapter } from './llm.js';
import { parseSse } from './sse.js';

export interface OpenAiOptions {
  /** Base URL, with or without `/v1` (e.g. `http://127.0.0.1:11434` for Ollama). */
  endpoint: string;
  /** Model name the server knows (`LLM_MODEL`). */
  model: string;
  /** Bearer token, for servers that want one (vLLM `--api-key`). */
  apiKey?: string;
  /** Until the response headers arrive (model loading counts here). */
  firstByteTimeoutMs: number;
  /** Between two chunks of the stream. */
  idleTimeoutMs: number;
  temperature: number;
  /** A spoken reply is short; this bounds a runaway one. */
  maxTokens: number;
}

const DEFAULTS: Omit<OpenAiOptions, 'endpoint' | 'model'> = {
  firstByteTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  temperature: 0.6,
  maxTokens: 300,
};

interface ChatChunk {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  error?: { message?: string } | string;
}

/** Streams chat completions from any server that speaks the OpenAI wire format. */
export class OpenAiCompatibleLlm implements LlmAdapter {
  readonly model: string;
  private readonly options: OpenAiOptions;
  private readonly url: string;

  constructor(
    options: Pick<OpenAiOptions, 'endpoint' | 'model'> & Partial<OpenAiOptions>,
    private readonly log: Logger,
  ) {
    this.options = { ...DEFAULTS, ...options };
    const base = this.options.endpoint.replace(/\/+$/, '');
    this.url = `${base.endsWith('/v1') ? base : `${base}/v1`}/chat/completions`;
    this.model = `openai:${this.options.model}`;
  }

  async *generate(input: GenerateInput): AsyncGenerator<string> {
    const { signal } = input;
    const timer = new AbortController();
    let timeout: ArcError | undefined;
    let clock: NodeJS.Timeout | undefined;
    const arm = (ms: number, what: string) => {
      clearTimeout(clock);
      clock = setTimeout(() => {
        timeout = new TimeoutError(`LLM ${what}`, ms);
        timer.abort(timeout);
      }, ms);
    };
    arm(this.options.firstByteTimeoutMs, 'first byte');
    const t0 = performance.now();
    const combined = anySignal(signal, timer.signal);
    try {
      let res: Response;
      try {
        res = await fetch(this.url, {
          method: 'POST',
          signal: combined,
          headers: {
            'content-type': 'application/json',
            accept: 'text/event-stream',
            ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
          },
          body: JSON.stringify({
            model: this.options.model,
            messages: input.messages,
            stream: true,
            temperature: this.options.temperature,
            max_tokens: this.options.maxTokens,
          }),
        });
      } catch (err) {
        if (signal.aborted) return;
        throw (
          timeout ??
          new ArcError('upstream', `LLM server ${this.url} unreachable: ${(err as Error).message}`, { cause: err })
        );
      }
      if (!res.ok || !res.body) throw await httpError(res, this.url);
      this.log.debug({ model: this.model, headersMs: Math.round(performance.now() - t0) }, 'LLM stream started');
      arm(this.options.idleTimeoutMs, 'stream idle');
      let done = false;
      try {
        for await (const event of parseSse(res.body as unknown as AsyncIterable<Uint8Array>)) {
          arm(this.options.idleTimeoutMs, 'stream idle');
          if (event.data === '[DONE]') {
            done = true;
            break;
          }
          const chunk = parseChunk(event.data);
          if (chunk.error !== undefined) {
            const message = typeof chunk.error === 'string' ? chunk.error : (chunk.error.message ?? 'unknown error');
            throw new ArcError('upstream', `LLM server error mid-stream: ${message}`);
          }
          const text = chunk.choices?.[0]?.delta?.content;
          if (text) yield text;
        }
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ArcError) throw err;
        throw timeout ?? new ArcError('upstream', `LLM stream broke: ${(err as Error).message}`, { cause: err });
      }
      if (!done && !signal.aborted) {
        throw new ArcError('upstream', 'LLM stream ended before [DONE]: the server disconnected mid-reply');
      }
    } finally {
      clearTimeout(clock);
      timer.abort(); // releases the socket when the consumer stops early
    }
  }
}

function parseChunk(data: string): ChatChunk {
  try {
    return JSON.parse(data) as ChatChunk;
  } catch {
    throw new ArcError('protocol_error', `LLM server sent a chunk that is not JSON: ${data.slice(0, 120)}`);
  }
}

async function httpError(res: Response, url: string): Promise<ArcError> {
  let detail = '';
  try {
    const text = await res.text();
    try {
      const body = JSON.parse(text) as { error?: { message?: string } | string };
      detail = typeof body.error === 'string' ? body.error : (body.error?.message ?? text);
    } catch {
      detail = text;
    }
  } catch {
    // body unreadable: the status says enough
  }
  const retryable = res.status === 429 || res.status >= 500;
  return new ArcError(
    retryable ? 'upstream' : 'protocol_error',
    `LLM server ${url} answered ${res.status}${detail ? `: ${detail.slice(0, 300)}` : ''}`,
    { details: { status: res.status } },
  );
}
