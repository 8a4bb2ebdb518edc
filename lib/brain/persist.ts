// persist: the turn's two events go to session-write off the hot path; failures are logged, never spoken.
import type { Logger } from '../log.js';
import type { SessionWriteRequest } from '../protocol/index.js';

/** Sends one event to session-write (a FunctionClient call in the brain). */
export type WriteFn = (event: SessionWriteRequest) => Promise<unknown>;

export interface TurnToPersist {
  requestId: string;
  sessionId: string;
  userId: string;
  userText: string;
  userEmbedding?: { model: string; vector: number[] };
  reply: string;
  /** Barge-in: `reply` is only what was generated before the cut. */
  interrupted: boolean;
  /** `user`: store only the user's turn (the voice host stores the reply as heard). */
  include: 'all' | 'user';
  startedAt: Date;
}

export interface Persister {
  /** Starts the writes and returns at once. Event ids derive from the request id, so a retried request stores nothing twice. */
  persist(turn: TurnToPersist): void;
  /** Resolves when every started write has settled (shutdown, tests). */
  drain(): Promise<void>;
}

export function createPersister(write: WriteFn, log: Logger): Persister {
  const pending = new Set<Promise<unknown>>();
  return {
    persist(turn) {
      const events: SessionWriteRequest[] = [
        {
          kind: 'turn',
          eventId: `${turn.requestId}-user`,
          sessionId: turn.sessionId,
          userId: turn.userId,
          role: 'user',
          text: turn.userText,
          createdAt: turn.startedAt.toISOString(),
          embedding: turn.userEmbedding,
        },
      ];
      if (turn.include === 'all' && turn.reply.trim() !== '') {
        events.push({
          kind: 'turn',
          eventId: `${turn.requestId}-assistant`,
          sessionId: turn.sessionId,
          userId: turn.userId,
          role: 'assistant',
          text: turn.reply,
          interrupted: turn.interrupted || undefined,
          // One millisecond later keeps the pair in order when sorted by time.
          createdAt: new Date(turn.startedAt.getTime() + 1).toISOString(),
        });
      }
      // In order: the user's turn first, so a session row exists before the reply lands.
      const p = events
        .reduce<Promise<unknown>>((prev, e) => prev.then(() => write(e)), Promise.resolve())
        .catch((err) =>
          log.error({ err: (err as Error).message, requestId: turn.requestId }, 'persisting the turn failed'),
        );
      pending.add(p);
      p.finally(() => pending.delete(p));
    },
    async drain() {
      await Promise.allSettled([...pending]);
    },
  };
}
