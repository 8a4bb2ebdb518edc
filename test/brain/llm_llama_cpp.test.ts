// node-llama-cpp adapter: loads a GGUF and streams deltas where a model file is given (TEST_GGUF_MODEL or
// LLM_MODEL_PATH); reported as skipped otherwise (no model weights can be downloaded here).
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LlamaCppLlm } from '../../lib/engines/llm/index.js';
import { testLogger } from '../helpers/env.js';

const modelPath = process.env.TEST_GGUF_MODEL ?? process.env.LLM_MODEL_PATH;
const haveModel = Boolean(modelPath && existsSync(modelPath));
if (!haveModel) {
  process.stderr.write('llm_llama_cpp: SKIPPED generation — set TEST_GGUF_MODEL=/path/to/model.gguf to run it\n');
}

describe('LlamaCppLlm', () => {
  it('a missing model file fails with a typed error naming the file', async () => {
    await expect(LlamaCppLlm.load({ modelPath: '/nonexistent/model.gguf' }, testLogger())).rejects.toMatchObject({
      code: 'upstream',
      message: expect.stringContaining('/nonexistent/model.gguf'),
    });
  }, 30_000);

  it.skipIf(!haveModel)(
    'loads the GGUF and streams a short reply as deltas',
    async () => {
      const llm = await LlamaCppLlm.load(
        { modelPath: modelPath as string, contextSize: 1024, maxTokens: 24 },
        testLogger(),
      );
      try {
        const deltas: string[] = [];
        for await (const t of llm.generate({
          messages: [
            { role: 'system', content: 'Answer in one short sentence.' },
            { role: 'user', content: 'What colour is the sky on a clear day?' },
          ],
          userText: 'What colour is the sky on a clear day?',
          memories: [],
          signal: new AbortController().signal,
        }))
          deltas.push(t);
        expect(deltas.length).toBeGreaterThan(1);
        expect(deltas.join('').trim().length).toBeGreaterThan(0);
        expect(llm.model).toMatch(/^llama\.cpp:/);
      } finally {
        await llm.close();
      }
    },
    120_000,
  );
});
