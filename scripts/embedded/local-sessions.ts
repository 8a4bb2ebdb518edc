// Adapts the agent host's LocalSessionHost to the gateway's LocalSessions interface (the gateway never imports
// the agent host). Agent audio leaves at one fixed rate (announced in `ready`); events also go to NATS
// `agent.events.<sessionId>`, as in room mode, so any listener (SSE, logs) sees local sessions too.
import { randomUUID } from 'node:crypto';
import type { LocalSessionHost } from '../../agent-host/local/local-host.js';
import type { VoiceSessionOptions } from '../../agent-host/session.js';
import type { LocalSessions } from '../../gateway/local-sessions.js';
import { resample } from '../../lib/audio/index.js';
import type { AgentEvent } from '../../lib/protocol/index.js';

export interface LocalSessionsOptions {
  /** Rate of the agent PCM sent to browsers. */
  sampleRate?: number;
  /** Publishes each event (NATS `agent.events.<sessionId>`). */
  publish?: (sessionId: string, event: AgentEvent) => void;
  /** Per-session overrides (tests: greeting, endpointing). */
  session?: Partial<VoiceSessionOptions>;
}

export function localSessionsFrom(host: LocalSessionHost, options: LocalSessionsOptions = {}): LocalSessions {
  const rate = options.sampleRate ?? 24000;
  return {
    get active() {
      return host.active;
    },
    async open({ userId, listener }) {
      const sessionId = randomUUID();
      const s = await host.open({
        userId,
        sessionId,
        options: options.session,
        output: { sampleRate: rate },
        listener: {
          audio(frame) {
            const pcm = new Int16Array(frame.data.buffer, frame.data.byteOffset, frame.samplesPerChannel).slice();
            listener.audio(frame.sampleRate === rate ? pcm : resample(pcm, frame.sampleRate, rate), rate);
          },
          clear: () => listener.clear(),
          event(e) {
            listener.event(e);
            options.publish?.(sessionId, e);
          },
        },
      });
      return {
        sessionId: s.sessionId,
        sampleRate: rate,
        pushPcm: (pcm, sampleRate) => s.pushPcm(pcm, sampleRate),
        close: (reason) => s.close(reason),
      };
    },
  };
}
