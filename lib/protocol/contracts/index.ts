// Registry of the system's function contracts, keyed by function name.
import type { FunctionName } from '../subjects.js';
import { brainContract } from './brain.js';
import { embedContract } from './embed.js';
import { sessionWriteContract } from './session-write.js';
import { ttsContract } from './tts.js';

export const CONTRACTS = {
  brain: brainContract,
  tts: ttsContract,
  embed: embedContract,
  'session-write': sessionWriteContract,
} as const satisfies Record<FunctionName, unknown>;

export type Contracts = typeof CONTRACTS;

export * from './brain.js';
export * from './common.js';
export * from './embed.js';
export * from './session-write.js';
export * from './tts.js';
