// Small helpers for threading one AbortSignal through every call.

/**
 * Settles like `promise`, or rejects with the reason of the first signal to abort. Listeners are removed on
 * settle; a late rejection of `promise` after a signal won is swallowed (nobody waits for it any more).
 */
export function raceAbort<T>(promise: Promise<T>, ...signals: AbortSignal[]): Promise<T> {
  promise.catch(() => {});
  const aborted = signals.find((s) => s.aborted);
  if (aborted) return Promise.reject(aborted.reason);
  return new Promise<T>((resolve, reject) => {
    const listeners = signals.map((s) => {
      const listener = () => {
        off();
        reject(s.reason);
      };
      s.addEventListener('abort', listener, { once: true });
      return [s, listener] as const;
    });
    const off = () => {
      for (const [s, l] of listeners) s.removeEventListener('abort', l);
    };
    promise.then(
      (v) => {
        off();
        resolve(v);
      },
      (e) => {
        off();
        reject(e);
      },
    );
  });
}

/** One signal that aborts when any given signal does (AbortSignal.any holds its sources weakly: no leak). */
export function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal {
  return AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined));
}

/** Resolves after `ms`, or rejects with the signal's reason if it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
