import { describe, expect, it } from 'vitest';
import { type EngineProcess, liveChildren, readAll, startEngineProcess, WarmPool, whenAborted } from './process.js';

describe('engine processes', () => {
  it('runs a command, collects its output and reaps it', async () => {
    const p = await startEngineProcess('echo', 'sh', ['-c', 'printf hello; printf oops >&2']);
    expect((await readAll(p)).toString()).toBe('hello');
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(p.stderrTail).toBe('oops');
    expect(liveChildren()).not.toContain(p.pid);
  });

  it('kills the whole process group, not just its leader', async () => {
    const p = await startEngineProcess('sleepers', 'sh', ['-c', 'sleep 30 | sleep 30']);
    expect(p.running).toBe(true);
    await p.kill();
    expect(p.running).toBe(false);
    expect(liveChildren()).toEqual([]);
  });

  it('says which command could not be run, as a typed error', async () => {
    await expect(startEngineProcess('ghost', 'no-such-engine-binary', [])).rejects.toMatchObject({
      code: 'upstream',
      message: expect.stringContaining('no-such-engine-binary'),
    });
  });

  it('stops a process on abort, including a signal aborted before the call', async () => {
    const p = await startEngineProcess('cat', 'cat', []);
    await expect(readAll(p, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
    expect(p.running).toBe(false);
    let ran = 0;
    whenAborted(AbortSignal.abort(), () => ran++)();
    expect(ran).toBe(1);
  });
});

describe('WarmPool', () => {
  const pool = (size: number, reusable = false) => {
    let made = 0;
    const disposed: number[] = [];
    const p = new WarmPool<{ n: number; ok: boolean }>({
      size,
      reusable,
      create: async () => ({ n: ++made, ok: true }),
      usable: (m) => m.ok,
      dispose: async (m) => disposed.push(m.n),
    });
    return { p, disposed, made: () => made };
  };

  it('hands out started members and starts their replacements behind the caller', async () => {
    const { p, made } = pool(2);
    await p.fill();
    expect(p.idle).toBe(2);
    const a = await p.take();
    expect(a.n).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(made()).toBe(3);
    expect(p.idle).toBe(2);
  });

  it('reusable members come back, most recently used first; broken ones are replaced', async () => {
    const { p, disposed, made } = pool(2, true);
    await p.fill();
    const a = await p.take();
    expect(made()).toBe(2); // no replacement: it comes back
    p.give(a);
    expect((await p.take()).n).toBe(a.n);
    a.ok = false;
    p.give(a);
    await new Promise((r) => setImmediate(r));
    expect(disposed).toEqual([a.n]);
    expect(p.idle).toBe(2);
  });

  it('close() disposes waiting members and ones still starting; take() then fails', async () => {
    const { p, disposed } = pool(3);
    const filling = p.fill();
    await p.close();
    await filling;
    expect(disposed.sort()).toEqual([1, 2, 3]);
    await expect(p.take()).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('drops a member that died while waiting instead of handing it out', async () => {
    const made: EngineProcess[] = [];
    const p = new WarmPool<EngineProcess>({
      size: 1,
      create: async () => {
        const proc = await startEngineProcess('cat', 'cat', []);
        made.push(proc);
        return proc;
      },
      usable: (m) => m.running,
      dispose: (m) => m.kill(),
    });
    await p.fill();
    await made[0]?.kill();
    const got = await p.take();
    expect(got).not.toBe(made[0]);
    expect(got.running).toBe(true);
    await got.kill();
    await p.close();
    expect(liveChildren()).toEqual([]);
  });
});
