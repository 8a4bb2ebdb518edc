// agent.events.<sessionId>: what the agent host tells the world about a conversation (UI, logs, tests).
import { z } from 'zod';
import { memory } from './contracts/brain.js';

/** Wall-clock milliseconds (Date.now()) of when the event happened. */
const at = z.number();

/**
 * Stages of one turn, in milliseconds after the end of the user's speech (t = 0). A stage a turn did
 * not reach is absent. `firstAudio` is the E2E figure: the first audible agent frame handed to playback.
 */
export const turnStages = z.object({
  /** The turn detector decided the user is done (endpointing delay). */
  endOfTurn: z.number().optional(),
  /** The final transcript was available. */
  sttFinal: z.number().optional(),
  /** The brain's first text delta arrived. */
  brainFirstDelta: z.number().optional(),
  /** The first speakable chunk was cut and sent to TTS. */
  firstSpeakableChunk: z.number().optional(),
  /** The first PCM of that chunk came back from TTS. */
  ttsFirstChunk: z.number().optional(),
  /** The first audible agent frame started playing. */
  firstAudio: z.number().optional(),
});
export type TurnStages = z.infer<typeof turnStages>;

export const agentEvent = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('session'),
    state: z.enum(['started', 'ended']),
    sessionId: z.string(),
    userId: z.string(),
    at,
  }),
  z.object({
    type: z.literal('state'),
    agent: z.enum(['initializing', 'idle', 'listening', 'thinking', 'speaking']).optional(),
    user: z.enum(['speaking', 'listening', 'away']).optional(),
    at,
  }),
  /** What the user said, interim while they speak, then final. */
  z.object({ type: z.literal('transcript'), text: z.string(), final: z.boolean(), at }),
  /** Reply text as the brain streams it. */
  z.object({ type: z.literal('reply'), requestId: z.string(), delta: z.string(), at }),
  /** A reply ended: `text` is what the user actually heard (shorter when interrupted). */
  z.object({ type: z.literal('reply-end'), text: z.string(), interrupted: z.boolean(), at }),
  /** Memories the brain retrieved for a turn. */
  z.object({ type: z.literal('memories'), requestId: z.string(), memories: z.array(memory), at }),
  /** One turn's latency waterfall. */
  z.object({
    type: z.literal('turn'),
    turnId: z.string(),
    /** Wall-clock ms of the end of the user's speech as the host estimated it (t = 0 of the stages). */
    speechEndAt: z.number().optional(),
    stages: turnStages,
    at,
  }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string(), at }),
]);
export type AgentEvent = z.infer<typeof agentEvent>;
export type AgentEventOf<T extends AgentEvent['type']> = Extract<AgentEvent, { type: T }>;
