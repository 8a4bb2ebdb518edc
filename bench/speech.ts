// bench/speech: TTS first chunk and real-time factor per engine (streaming vs buffered), STT latency after end
// of speech and real-time factor per mode, and where the chunker's first chunk lands in streamed LLM output.
// Targets (ADR): TTS first chunk < 100 ms, STT < 400 ms after end of speech.
// Usage: npm run bench:speech [-- --runs 20]   (a few minutes; NATS at NATS_URL for the tts.request row)
import { parseArgs } from 'node:util';
import { benchChunker } from './speech-chunker.js';
import { benchStt } from './speech-stt.js';
import { benchTts } from './speech-tts.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
const out = (s: string) => process.stdout.write(s);

const started = performance.now();
out(`# bench/speech (${runs} runs per TTS engine; 10 utterances per STT mode)\n\n## TTS\n\n`);
out(await benchTts(runs));
out('\n## STT (PocketSphinx, flite kal16 speech fed in real time, 20 ms frames)\n\n');
out(await benchStt());
out('\n## Smart chunker (streamed LLM output)\n\n');
out(await benchChunker());
out(`\nran in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
process.exit(0);
