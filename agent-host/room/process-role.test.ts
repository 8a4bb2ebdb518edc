import { describe, expect, it } from 'vitest';
import { isJobProcess } from './process-role.js';

describe('isJobProcess', () => {
  const node = '/usr/bin/node';
  it('is true only with an IPC channel and agents-js job main as the script (built or from source)', () => {
    const built = '/app/node_modules/@livekit/agents/dist/ipc/job_proc_lazy_main.js';
    const source = '/repo/node_modules/@livekit/agents/src/ipc/job_proc_lazy_main.ts';
    expect(isJobProcess([node, built], true)).toBe(true);
    expect(isJobProcess([node, source], true)).toBe(true);
    expect(
      isJobProcess([node, 'C:\\app\\node_modules\\@livekit\\agents\\dist\\ipc\\job_proc_lazy_main.cjs'], true),
    ).toBe(true);
    expect(isJobProcess([node, built], false)).toBe(false);
  });

  it('is false for the host however it is started: bundle, image entry, tsx, a fork by something else', () => {
    for (const script of ['/app/dist/agent-host.js', '/app/entry.mjs', '/repo/agent-host/main.ts', '']) {
      expect(isJobProcess([node, script], true), script).toBe(false);
    }
    expect(isJobProcess([node, '/x/inference_proc_lazy_main.js'], true)).toBe(false);
    expect(isJobProcess([node, '/x/not_job_proc_lazy_main.js.map'], true)).toBe(false);
    expect(isJobProcess([node], true)).toBe(false);
  });
});
