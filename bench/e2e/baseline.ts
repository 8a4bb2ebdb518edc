// The "agents-js defaults" pipeline of bench/e2e: the same engines (PocketSphinx, the brain, flite behind the
// tts function, the same local audio transport) used the way the library does by default — a batch STT that
// agents-js wraps in its StreamAdapter (one cold decoder process per utterance), a non-streaming TTS it wraps
// in its StreamAdapter with the basic sentence tokenizer, default Silero silence and default endpointing, no
// leading-silence trim, nothing pre-synthesised.
import { randomUUID } from 'node:crypto';
import {
  type APIConnectOptions,
  asLanguageCode,
  DEFAULT_API_CONNECT_OPTIONS,
  stt,
  tts,
  type VAD,
  voice,
} from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { LocalAudioInput } from '../../agent-host/local/audio-input.js';
import { type AudioSink, LocalAudioOutput } from '../../agent-host/local/audio-output.js';
import { SherlockLLM } from '../../agent-host/plugins/llm.js';
import { FrameChunker, pcmFromBytes } from '../../lib/audio/index.js';
import type { FunctionClient } from '../../lib/bus/client.js';
import { type AudioInput, framesToPcm } from '../../lib/engines/stt/input.js';
import { SphinxDecoder } from '../../lib/engines/stt/pocketsphinx/decoder.js';
import type { Logger } from '../../lib/log.js';

const SPHINX_RATE = 16000;

/** Batch PocketSphinx: a fresh decoder process per recognition, as a non-streaming STT plugin does. */
export class ColdPocketSphinxSTT extends stt.STT {
  label = 'bench.ColdPocketSphinxSTT';

  constructor() {
    super({ streaming: false, interimResults: false });
  }

  protected async _recognize(frames: AudioInput, signal?: AbortSignal): Promise<stt.SpeechEvent> {
    const samples = framesToPcm(frames, SPHINX_RATE);
    const decoder = await SphinxDecoder.start({ backend: 'process' });
    await decoder.ready;
    decoder.write(samples);
    const text = await decoder.finish(signal);
    return {
      type: stt.SpeechEventType.FINAL_TRANSCRIPT,
      alternatives: [
        { language: asLanguageCode('en-US'), text, startTime: 0, endTime: samples.length / SPHINX_RATE, confidence: 0 },
      ],
    };
  }

  stream(): stt.SpeechStream {
    throw new Error('batch only: agents-js wraps it in stt.StreamAdapter');
  }
}

/** Non-streaming TTS over the tts function: one request per text, untrimmed, 100 ms frames (the library's default). */
export class BatchFunctionTTS extends tts.TTS {
  label = 'bench.BatchFunctionTTS';

  constructor(
    readonly client: FunctionClient,
    sampleRate: number,
    readonly onFirstAudio?: (at: number) => void,
  ) {
    super(sampleRate, 1, { streaming: false });
  }

  synthesize(text: string, connOptions?: APIConnectOptions, abortSignal?: AbortSignal): tts.ChunkedStream {
    return new BatchStream(this, text, connOptions, abortSignal);
  }

  stream(): tts.SynthesizeStream {
    throw new Error('batch only: agents-js wraps it in tts.StreamAdapter');
  }
}

class BatchStream extends tts.ChunkedStream {
  label = 'bench.BatchStream';

  constructor(
    private readonly owner: BatchFunctionTTS,
    text: string,
    connOptions?: APIConnectOptions,
    abortSignal?: AbortSignal,
  ) {
    super(text, owner, connOptions ?? DEFAULT_API_CONNECT_OPTIONS, abortSignal);
  }

  protected async run(): Promise<void> {
    const requestId = randomUUID();
    const rate = this.owner.sampleRate;
    const audio = this.owner.client.stream(
      'tts',
      { requestId, text: this.inputText, sampleRate: rate, trimLeadingSilence: false },
      { signal: this.abortSignal },
    );
    const framer = new FrameChunker(rate, 100);
    let held: AudioFrame | undefined;
    let first = true;
    const put = (samples: Int16Array) => {
      if (held) this.queue.put({ requestId, segmentId: requestId, frame: held, final: false });
      held = new AudioFrame(samples, rate, 1, samples.length);
    };
    for await (const pcm of audio) {
      if (first) {
        first = false;
        this.owner.onFirstAudio?.(performance.now());
      }
      for (const f of framer.push(pcmFromBytes(pcm))) put(f);
    }
    const rest = framer.flush(false);
    if (rest) put(rest);
    if (held) this.queue.put({ requestId, segmentId: requestId, frame: held, final: true });
  }
}

export interface BaselineSession {
  session: voice.AgentSession;
  input: LocalAudioInput;
  output: LocalAudioOutput;
  llm: SherlockLLM;
  close(): Promise<void>;
}

/** An AgentSession with library defaults on the same local transport and engines. */
export async function openBaselineSession(deps: {
  client: FunctionClient;
  log: Logger;
  vad: VAD;
  sampleRate: number;
  sink: AudioSink;
  userId: string;
  onBrainFirstDelta?: (at: number) => void;
  onTtsFirstAudio?: (at: number) => void;
}): Promise<BaselineSession> {
  const sessionId = randomUUID();
  const llm = new SherlockLLM({
    client: deps.client,
    log: deps.log,
    sessionId,
    userId: deps.userId,
    onDelta: (_id, _d, first) => {
      if (first) deps.onBrainFirstDelta?.(performance.now());
    },
  });
  const session = new voice.AgentSession({
    vad: deps.vad,
    stt: new ColdPocketSphinxSTT(),
    llm,
    tts: new BatchFunctionTTS(deps.client, deps.sampleRate, deps.onTtsFirstAudio),
    turnDetection: 'vad',
  });
  const input = new LocalAudioInput();
  const output = new LocalAudioOutput({ sink: deps.sink, leadMs: 0 });
  session.input.audio = input;
  session.output.audio = output;
  await session.start({ agent: new voice.Agent({ instructions: 'You are a helpful voice assistant.' }) });
  return {
    session,
    input,
    output,
    llm,
    async close() {
      input.end();
      await output.close();
      await session.close();
    },
  };
}
