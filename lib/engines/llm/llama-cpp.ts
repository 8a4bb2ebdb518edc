// In-process GGUF models through node-llama-cpp (LLM_MODEL_PATH): one context, one generation at a time.
import { basename } from 'node:path';
import type { ChatHistoryItem, LlamaChatSession, LlamaContext, LlamaModel } from 'node-llama-cpp';
import type { Logger } from '../../log.js';
import { ArcError } from '../../protocol/index.js';
import { AsyncQueue } from '../../util/async-queue.js';
import { Semaphore } from '../../util/semaphore.js';
import type { GenerateInput, LlmAdapter } from './llm.js';

export interface LlamaCppOptions {
  /** Path of a .gguf file. */
  modelPath: string;
  /** Context window in tokens; a spoken exchange with five memories fits well in 4096. */
  contextSize: number;
  temperature: number;
  maxTokens: number;
}

const DEFAULTS = { contextSize: 4096, temperature: 0.6, maxTokens: 300 };

/** A GGUF model run in this process on llama.cpp's CPU (or GPU, when the binaries find one) backend. */
export class LlamaCppLlm implements LlmAdapter {
  readonly model: string;
  /** One sequence per context: requests take turns rather than thrash a shared KV cache. */
  private readonly turn = new Semaphore(1);

  private constructor(
    private readonly llamaModel: LlamaModel,
    private readonly context: LlamaContext,
    private readonly SessionClass: typeof LlamaChatSession,
    private readonly options: LlamaCppOptions,
  ) {
    this.model = `llama.cpp:${basename(options.modelPath)}`;
  }

  /** Loads the model; fails with `not_found`/`upstream` naming the file when it cannot. */
  static async load(
    options: Pick<LlamaCppOptions, 'modelPath'> & Partial<LlamaCppOptions>,
    log: Logger,
  ): Promise<LlamaCppLlm> {
    const opts = { ...DEFAULTS, ...options };
    const t0 = performance.now();
    let lib: typeof import('node-llama-cpp');
    try {
      lib = await import('node-llama-cpp');
    } catch (err) {
      throw new ArcError('unavailable', `node-llama-cpp could not be loaded: ${(err as Error).message}`, {
        cause: err,
      });
    }
    try {
      // `build: 'never'`: use the prebuilt binaries shipped as npm packages, never compile or download.
      const llama = await lib.getLlama({ build: 'never' });
      const model = await llama.loadModel({ modelPath: opts.modelPath });
      const context = await model.createContext({ contextSize: opts.contextSize });
      const llm = new LlamaCppLlm(model, context, lib.LlamaChatSession, opts);
      log.info({ model: llm.model, loadMs: Math.round(performance.now() - t0), gpu: llama.gpu }, 'GGUF model loaded');
      return llm;
    } catch (err) {
      throw new ArcError('upstream', `could not load LLM_MODEL_PATH=${opts.modelPath}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  async *generate(input: GenerateInput): AsyncGenerator<string> {
    const { signal } = input;
    let release: () => void;
    try {
      release = await this.turn.acquire(signal);
    } catch {
      return; // aborted while waiting
    }
    const sequence = this.context.getSequence();
    const session = new this.SessionClass({ contextSequence: sequence });
    const deltas = new AsyncQueue<string>();
    try {
      const history: ChatHistoryItem[] = input.messages
        .slice(0, -1)
        .map((m) =>
          m.role === 'assistant' ? { type: 'model', response: [m.content] } : { type: m.role, text: m.content },
        );
      session.setChatHistory(history);
      const done = session
        .prompt(input.userText, {
          signal,
          stopOnAbortSignal: true,
          temperature: this.options.temperature,
          maxTokens: this.options.maxTokens,
          onTextChunk: (text) => deltas.push(text),
        })
        .then(
          () => deltas.end(),
          (err) => deltas.fail(new ArcError('upstream', `llama.cpp generation failed: ${(err as Error).message}`)),
        );
      for await (const text of deltas) yield text;
      await done;
    } finally {
      session.dispose({ disposeSequence: true });
      release();
    }
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.llamaModel.dispose();
  }
}
