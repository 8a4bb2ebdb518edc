// The four contracts on subjects of one bench run (`<prefix>.<name>`), shared by its processes.
import {
  brainContract,
  CONTRACTS,
  embedContract,
  sessionWriteContract,
  ttsContract,
} from '../../lib/protocol/index.js';

export function benchContracts(prefix: string) {
  return {
    ...CONTRACTS,
    brain: { ...brainContract, subject: `${prefix}.brain` },
    tts: { ...ttsContract, subject: `${prefix}.tts` },
    embed: { ...embedContract, subject: `${prefix}.embed` },
    'session-write': { ...sessionWriteContract, subject: `${prefix}.session` },
  };
}

/** The JetStream stream session-write replays from in a bench run's processes (deleted by the run at its end). */
export function benchSessionsStream(prefix: string): string {
  return `SESSIONS_${prefix.replace(/\W/g, '_')}`;
}
