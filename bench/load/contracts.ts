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
