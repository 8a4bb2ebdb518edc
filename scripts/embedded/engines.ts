// "Engines chosen" for the start-up summary: what the configuration selects, what was found, and what to set
// for a better engine. Facts the functions log while loading (model names, voices) fill in the details.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Config } from '../../lib/config/index.js';

export interface EngineLine {
  part: 'LLM' | 'STT' | 'TTS' | 'Embedder' | 'VAD';
  chosen: string;
  /** The best engine is in use (false: a fallback; `hint` says how to upgrade). */
  best: boolean;
  hint?: string;
}

/** Facts picked from the functions' logs while they load. */
export class EngineFacts {
  readonly values: Record<string, string> = {};

  collect(name: string): (line: Record<string, unknown>) => void {
    return (line) => {
      if (name === 'tts' && line.msg === 'tts engine warm') this.values.tts = `${line.engine} (voice ${line.voice})`;
      if (name === 'brain' && line.msg === 'brain ready') this.values.llm = String(line.model);
      if (name === 'embed' && line.msg === 'embedder loaded') this.values.embed = String(line.model);
    };
  }
}

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function describeEngines(config: Config, facts: EngineFacts, stt: string): EngineLine[] {
  const lines: EngineLine[] = [];
  if (config.llm.endpoint) {
    lines.push({
      part: 'LLM',
      chosen: `OpenAI-compatible server ${config.llm.endpoint} (${config.llm.model ?? 'default'})`,
      best: true,
    });
  } else if (config.llm.modelPath) {
    lines.push({ part: 'LLM', chosen: facts.values.llm ?? `llama.cpp ${config.llm.modelPath}`, best: true });
  } else {
    lines.push({
      part: 'LLM',
      chosen: 'none — memory responder (answers only from what you told it)',
      best: false,
      hint: 'set LLM_ENDPOINT=http://127.0.0.1:11434/v1 LLM_MODEL=llama3.2:3b (Ollama) or LLM_MODEL_PATH=/path/model.gguf',
    });
  }
  if (config.models.whisper) {
    lines.push({ part: 'STT', chosen: `${stt} (${config.models.whisper})`, best: true });
  } else {
    const ok = onPath('pocketsphinx_continuous') || existsSync('/usr/share/pocketsphinx/model/en-us');
    lines.push({
      part: 'STT',
      chosen: ok
        ? `${stt} (Debian en-us model)`
        : 'PocketSphinx — MISSING (apt-get install pocketsphinx pocketsphinx-en-us)',
      best: false,
      hint: 'set WHISPER_MODEL=/path/ggml-base.en.bin for Whisper',
    });
  }
  if (config.models.piper) {
    lines.push({ part: 'TTS', chosen: facts.values.tts ?? `piper ${config.models.piper}`, best: true });
  } else {
    lines.push({
      part: 'TTS',
      chosen: facts.values.tts ?? (onPath('flite') ? 'flite' : 'flite — MISSING (apt-get install flite)'),
      best: false,
      hint: 'set PIPER_MODEL=/path/en_US-lessac-medium.onnx (with its .onnx.json) for Piper',
    });
  }
  lines.push({
    part: 'Embedder',
    chosen: facts.values.embed ?? (config.models.embedding ? `onnx ${config.models.embedding}` : 'use-lite-512'),
    best: true,
    hint: config.models.embedding
      ? undefined
      : 'built in (Universal Sentence Encoder lite); EMBEDDING_MODEL=/path/all-MiniLM-L6-v2 for MiniLM',
  });
  lines.push({ part: 'VAD', chosen: 'Silero (bundled with @livekit/agents-plugin-silero)', best: true });
  return lines;
}
