// Writes a session's events through session.write, in order, off the hot path, with retries.
import type { FunctionClient } from '../lib/bus/client.js';
import type { Logger } from '../lib/log.js';
import type { SessionEvent } from '../lib/protocol/index.js';
import { isArcError, SESSION_TURN_MAX_CHARS } from '../lib/protocol/index.js';
import { sleep } from '../lib/util/abort.js';

const RETRY_DELAYS_MS = [200, 1_000, 3_000];

type Body<K extends SessionEvent['kind']> = Omit<Extract<SessionEvent, { kind: K }>, 'kind' | 'eventId' | 'sessionId'>;

/** Event ids derive from the session and the turn number, so a retried write is stored once. */
export class SessionWriter {
  private chain: Promise<void> = Promise.resolve();
  private turns = 0;

  constructor(
    private readonly client: FunctionClient,
    private readonly log: Logger,
    private readonly sessionId: string,
  ) {}

  start(body: Body<'session-start'>): void {
    this.enqueue({ kind: 'session-start', eventId: `${this.sessionId}-start`, sessionId: this.sessionId, ...body });
  }

  /**
   * Stores a turn. `eventId` ties it to the brain request it belongs to (`<requestId>-user|assistant`, the
   * ids the brain itself uses, so a turn both sides write is stored once); without one it is numbered.
   */
  turn(body: Body<'turn'>, eventId = `${this.sessionId}-turn-${++this.turns}`): void {
    const text = body.text.trim().slice(0, SESSION_TURN_MAX_CHARS);
    if (!text) return; // an interruption before any word was heard leaves nothing to store
    this.enqueue({ kind: 'turn', eventId, sessionId: this.sessionId, ...body, text });
  }

  end(body: Body<'session-end'>): void {
    this.enqueue({ kind: 'session-end', eventId: `${this.sessionId}-end`, sessionId: this.sessionId, ...body });
  }

  recording(body: Body<'recording'>): void {
    this.enqueue({
      kind: 'recording',
      eventId: `${this.sessionId}-recording`,
      sessionId: this.sessionId,
      ...body,
    } as SessionEvent);
  }

  /** Resolves once every write so far has been stored (or given up on). */
  flush(): Promise<void> {
    return this.chain;
  }

  private enqueue(event: SessionEvent): void {
    this.chain = this.chain.then(() => this.write(event));
  }

  private async write(event: SessionEvent): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.call('session-write', event);
        return;
      } catch (err) {
        const retryable = isArcError(err) ? err.retryable : true;
        const delay = RETRY_DELAYS_MS[attempt];
        if (!retryable || delay === undefined) {
          this.log.error({ err, eventId: event.eventId, kind: event.kind }, 'session event not stored');
          return;
        }
        this.log.warn(
          { eventId: event.eventId, attempt: attempt + 1, err: (err as Error).message },
          'session write failed; retrying',
        );
        await sleep(delay);
      }
    }
  }
}
