// tts.request: streams speech for a text as PCM s16le chunks. One engine per replica, warmed in setup (model
// loaded, processes started) so the first request is as fast as the hundredth.
import { pcmToBytes } from '../../lib/audio/pcm.js';
import { createTtsEngine, type TtsEngineChoice } from '../../lib/engines/tts/index.js';
import { HDR_SAMPLE_RATE, type TtsRequest, ttsContract } from '../../lib/protocol/index.js';
import { defineFunction, type HandlerContext, type SetupContext } from '../../lib/runtime/define.js';
import { tracedStream } from '../../lib/telemetry/spans.js';

/** Requests synthesised at once per replica (engines are CPU-bound; more wait in the runtime's line). */
export const TTS_MAX_CONCURRENT = 4;

/** The setup, with the engine choice open for tests and benchmarks (default: from the config). */
export function ttsSetup(choice: TtsEngineChoice = {}) {
  return async function setupTts({ config, log }: SetupContext) {
    const engine = await createTtsEngine(config, choice);
    const t0 = performance.now();
    await engine.warm();
    log.info(
      { engine: engine.name, voice: engine.defaultVoice, warmMs: Math.round(performance.now() - t0) },
      'tts engine warm',
    );
    return {
      async *handle(req: TtsRequest, ctx: HandlerContext) {
        // Validates the voice (unknown_voice) before any audio, and fixes the rate the header announces.
        const sampleRate = req.sampleRate ?? engine.sampleRateOf(req.voice);
        const chunks = engine.synthesize(req.text, {
          voice: req.voice,
          sampleRate,
          signal: ctx.signal,
          speakerId: req.speakerId,
          lengthScale: req.lengthScale,
          noiseScale: req.noiseScale,
          noiseW: req.noiseW,
          trimLeadingSilence: req.trimLeadingSilence,
        });
        ctx.setStreamHeader(HDR_SAMPLE_RATE, String(sampleRate));
        // A span of the request while tracing is on (first audio marked), else the engine's stream as it is.
        const attributes = { 'arc.tts.engine': engine.name, 'arc.tts.chars': req.text.length };
        for await (const chunk of tracedStream('tts.synthesize', attributes, chunks, ctx.signal)) {
          yield pcmToBytes(chunk.samples);
        }
      },
      close: () => engine.close(),
    };
  };
}

export default defineFunction(ttsContract, ttsSetup(), { maxConcurrent: TTS_MAX_CONCURRENT });
