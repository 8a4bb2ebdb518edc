// A push/pull queue with an end, a failure and per-pull timeouts: bridges callbacks to async iteration.

interface Waiter<T> {
  resolve: (r: IteratorResult<T>) => void;
  reject: (err: unknown) => void;
  timer?: NodeJS.Timeout;
}

export class AsyncQueue<T> {
  private readonly items: T[] = [];
  private readonly waiters: Waiter<T>[] = [];
  private done = false;
  private failure: { error: unknown } | undefined;

  /** `maxItems` bounds what waits unread; past it the queue fails with `overflow()`'s error. */
  constructor(
    private readonly maxItems = Number.POSITIVE_INFINITY,
    private readonly overflow: () => unknown = () => new Error('queue overflow'),
  ) {}

  get size(): number {
    return this.items.length;
  }

  get closed(): boolean {
    return this.done || this.failure !== undefined;
  }

  push(item: T): void {
    if (this.closed) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve({ value: item, done: false });
      return;
    }
    if (this.items.length >= this.maxItems) {
      this.fail(this.overflow());
      return;
    }
    this.items.push(item);
  }

  /** No more items: pending and later pulls end once the buffer is drained. */
  end(): void {
    if (this.closed) return;
    this.done = true;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.resolve({ value: undefined, done: true });
    }
  }

  /** Fails pending and later pulls (buffered items are still delivered first). */
  fail(error: unknown): void {
    if (this.closed) return;
    this.failure = { error };
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(error);
    }
  }

  /** Next item; rejects with `onTimeout()` when nothing arrives within `timeoutMs`. */
  next(timeoutMs?: number, onTimeout?: () => unknown): Promise<IteratorResult<T>> {
    if (this.items.length > 0) {
      return Promise.resolve({ value: this.items.shift() as T, done: false });
    }
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      const waiter: Waiter<T> = { resolve, reject };
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        waiter.timer = setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(onTimeout ? onTimeout() : new Error(`no item within ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.waiters.push(waiter);
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const r = await this.next();
      if (r.done) return;
      yield r.value;
    }
  }
}
