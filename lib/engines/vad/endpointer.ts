// Level-based end of speech: the time of the last voiced frame, and how long it has been quiet since. Silero
// keeps calling audio "speech" for ~150 ms after a voice stops; the level of the audio does not lag, so this
// ends an utterance sooner and dates its end exactly (the DESIGN's "speech end": the last voiced frame).
import { rmsDbfs } from '../../audio/index.js';

export interface EnergyEndpointerOptions {
  /** A frame is voiced when louder than the noise floor by this much … */
  marginDb: number;
  /** … and never quieter than this (digital silence has no floor). */
  minDbfs: number;
  /** How much history the noise floor is the quietest frame of. */
  floorWindowMs: number;
  /**
   * The floor is never taken above this: when speech starts at once there is no quiet frame yet, and the
   * quietest frame seen is speech itself. Rooms are quieter than this; voices are far louder.
   */
  maxFloorDbfs: number;
}

export const ENERGY_ENDPOINTER_DEFAULTS: EnergyEndpointerOptions = {
  marginDb: 12,
  minDbfs: -50,
  floorWindowMs: 10_000,
  maxFloorDbfs: -45,
};

export class EnergyEndpointer {
  private readonly options: EnergyEndpointerOptions;
  /** Frame levels of the floor window, oldest first, with their wall-clock end times. */
  private readonly recent: { at: number; db: number }[] = [];
  private lastVoiced: number | undefined;

  constructor(options: Partial<EnergyEndpointerOptions> = {}) {
    this.options = { ...ENERGY_ENDPOINTER_DEFAULTS, ...options };
  }

  /** Feeds one frame that ends now (`at`); returns whether it is voiced. */
  push(samples: Int16Array, at = Date.now()): boolean {
    const db = rmsDbfs(samples);
    this.recent.push({ at, db });
    while (this.recent.length > 1 && at - (this.recent[0]?.at ?? at) > this.options.floorWindowMs) this.recent.shift();
    const voiced = db > this.threshold();
    if (voiced) this.lastVoiced = at;
    return voiced;
  }

  /** Level above which a frame counts as voice, in dBFS. */
  threshold(): number {
    let floor = Number.POSITIVE_INFINITY;
    for (const r of this.recent) floor = Math.min(floor, r.db);
    return Math.max(this.options.minDbfs, Math.min(floor, this.options.maxFloorDbfs) + this.options.marginDb);
  }

  /** Wall-clock ms at which the last voiced frame ended (undefined before any voice). */
  get lastVoicedAt(): number | undefined {
    return this.lastVoiced;
  }

  /** Milliseconds of quiet since the last voiced frame (0 while voiced or before any voice). */
  silentFor(now = Date.now()): number {
    return this.lastVoiced === undefined ? 0 : Math.max(0, now - this.lastVoiced);
  }
}
