import { describe, expect, it } from 'vitest';
import { sleep } from './abort.js';
import { AsyncQueue } from './async-queue.js';
import { Semaphore } from './semaphore.js';

describe('AsyncQueue', () => {
  it('delivers pushed items in order, then ends', async () => {
    const q = new AsyncQueue<number>();
    q.push(1);
    q.push(2);
    setTimeout(() => {
      q.push(3);
      q.end();
    }, 5);
    const got: number[] = [];
    for await (const x of q) got.push(x);
    expect(got).toEqual([1, 2, 3]);
  });

  it('times out a pull with the given error, and fails on overflow', async () => {
    const q = new AsyncQueue<number>(2, () => new Error('overflow'));
    await expect(q.next(10, () => new Error('late'))).rejects.toThrow('late');
    q.push(1);
    q.push(2);
    q.push(3);
    expect((await q.next()).value).toBe(1);
    expect((await q.next()).value).toBe(2);
    await expect(q.next()).rejects.toThrow('overflow');
  });
});

describe('Semaphore', () => {
  it('never runs more than its limit and serves waiters first-in first-out', async () => {
    const s = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const release = await s.acquire();
        order.push(i);
        running++;
        peak = Math.max(peak, running);
        await sleep(5);
        running--;
        release();
      }),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(s.running).toBe(0);
  });

  it('lets a waiter give up without taking a slot', async () => {
    const s = new Semaphore(1);
    const hold = await s.acquire();
    const c = new AbortController();
    const waiting = s.acquire(c.signal);
    c.abort(new Error('gave up'));
    await expect(waiting).rejects.toThrow('gave up');
    expect(s.waiting).toBe(0);
    hold();
    expect(s.running).toBe(0);
  });
});
