// Picks the responder from config: LLM_ENDPOINT (OpenAI-compatible) → LLM_MODEL_PATH (GGUF) → memory responder.
import type { Config } from '../../config/index.js';
import type { Logger } from '../../log.js';
import { LlamaCppLlm } from './llama-cpp.js';
import type { LlmAdapter } from './llm.js';
import { MemoryResponder } from './memory-responder.js';
import { OpenAiCompatibleLlm } from './openai.js';

/** The configured responder; logs which one, so nobody wonders where a reply came from. */
export async function createLlm(config: Config, log: Logger): Promise<LlmAdapter> {
  if (config.llm.endpoint) {
    const llm = new OpenAiCompatibleLlm(
      { endpoint: config.llm.endpoint, model: config.llm.model ?? 'default', apiKey: config.llm.apiKey },
      log,
    );
    log.info({ model: llm.model, endpoint: config.llm.endpoint }, 'brain uses an OpenAI-compatible LLM server');
    return llm;
  }
  if (config.llm.modelPath) return LlamaCppLlm.load({ modelPath: config.llm.modelPath }, log);
  log.warn(
    'no LLM configured (LLM_ENDPOINT / LLM_MODEL_PATH unset): the brain answers with the memory responder, which only recalls what the user said',
  );
  return new MemoryResponder();
}

export { LlamaCppLlm } from './llama-cpp.js';
export type { ChatMessage, GenerateInput, LlmAdapter } from './llm.js';
export { MEMORY_RESPONDER_MODEL, MemoryResponder, NO_LLM_NOTE } from './memory-responder.js';
export { OpenAiCompatibleLlm } from './openai.js';
export { parseSse } from './sse.js';
