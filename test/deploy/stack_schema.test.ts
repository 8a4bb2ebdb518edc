// stack.yml: valid OpenFaaS stack file, one entry per function of the code, warm pools, GPU profile, NATS topics.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../lib/config/index.js';
import { CONTRACTS } from '../../lib/protocol/contracts/index.js';
import { FUNCTION_NAMES, SUBJECTS } from '../../lib/protocol/subjects.js';
import { functionNames } from '../../scripts/build.js';
import { readStack, readYaml, rootPath, schemaErrors, secretEnvName } from './deploy-files.js';

const SCHEMA = 'test/deploy/schemas/openfaas-stack.schema.json';
/** Kubernetes' default terminationGracePeriodSeconds: the drain must end before the kubelet's SIGKILL. */
const K8S_GRACE_MS = 30_000;

const stack = readStack();
const fns = Object.entries(stack.functions);

describe('stack.yml', () => {
  it('is a valid OpenFaaS stack file (version 1.0)', () => {
    expect(schemaErrors(SCHEMA, stack)).toEqual([]);
    expect(String(stack.version)).toBe('1.0');
  });

  it('the schema refuses what faas-cli would silently ignore or reject (typos, bad resources, env numbers)', () => {
    const bad = structuredClone(stack);
    const brain = bad.functions.brain as unknown as Record<string, unknown>;
    brain.enviroment = { X: '1' };
    brain.limits = { memory: '1 gigabyte' };
    (brain.labels as Record<string, unknown>)['com.openfaas.scale.min'] = 2;
    const errors = schemaErrors(SCHEMA, bad).join('\n');
    expect(errors).toMatch(/additional properties.*enviroment/);
    expect(errors).toMatch(/limits\/memory must match pattern/);
    expect(errors).toMatch(/com.openfaas.scale.min must be string/);
  });

  it('names exactly the functions of the code, each with its handler folder and the NATS subject as `topic`', () => {
    expect(Object.keys(stack.functions).sort()).toEqual([...FUNCTION_NAMES].sort());
    for (const [name, fn] of fns) {
      expect(fn.annotations?.topic, name).toBe(SUBJECTS[name as keyof typeof SUBJECTS]);
      expect(fn.build_args?.FUNCTION, name).toBe(name);
      expect(fn.lang, name).toBe('dockerfile');
      expect(existsSync(rootPath(fn.handler, 'Dockerfile')), `${name}: ${fn.handler}/Dockerfile`).toBe(true);
    }
    // Every function folder with a handler is deployed (a new function cannot be forgotten here).
    for (const name of functionNames()) expect(Object.keys(stack.functions), name).toContain(name);
  });

  it('copies into each faas-cli build context what the Dockerfile needs from the repository root', () => {
    expect(stack.configuration?.copy).toEqual(
      expect.arrayContaining(['openfaas', 'dist', 'package.json', 'package-lock.json']),
    );
    for (const path of stack.configuration?.copy ?? []) {
      if (path !== 'dist') expect(existsSync(rootPath(path)), path).toBe(true);
    }
  });

  it('keeps warm pools: scale.min ≥ 1 everywhere, brain and tts never scaled to zero, min ≤ max, a target', () => {
    for (const [name, fn] of fns) {
      const labels = fn.labels ?? {};
      const min = Number(labels['com.openfaas.scale.min']);
      const max = Number(labels['com.openfaas.scale.max']);
      expect(min, name).toBeGreaterThanOrEqual(1);
      expect(max, name).toBeGreaterThanOrEqual(min);
      expect(Number(labels['com.openfaas.scale.target']), name).toBeGreaterThan(0);
      expect(['cpu', 'rps', 'capacity']).toContain(labels['com.openfaas.scale.type']);
      expect(labels['com.openfaas.scale.zero'], name).toBe('false');
    }
    for (const name of ['brain', 'tts']) {
      expect(Number(stack.functions[name]?.labels?.['com.openfaas.scale.min'])).toBeGreaterThanOrEqual(2);
    }
  });

  it('pins brain and tts to GPU nodes through the `gpu` Profile, whose manifest asks for nvidia.com/gpu', () => {
    const profile = readYaml<{
      apiVersion: string;
      kind: string;
      metadata: { name: string; namespace: string };
      spec: {
        runtimeClassName: string;
        tolerations: { key: string }[];
        resources: { limits: Record<string, string> };
        affinity: { nodeAffinity: unknown };
      };
    }>('openfaas/profiles.yaml');
    expect(profile).toMatchObject({
      apiVersion: 'openfaas.com/v1',
      kind: 'Profile',
      metadata: { namespace: 'openfaas' },
    });
    expect(profile.spec.runtimeClassName).toBe('nvidia');
    expect(profile.spec.resources.limits['nvidia.com/gpu']).toBe('1');
    expect(profile.spec.tolerations.map((t) => t.key)).toContain('nvidia.com/gpu');
    expect(JSON.stringify(profile.spec.affinity.nodeAffinity)).toContain('nvidia.com/gpu.present');
    for (const [name, fn] of fns) {
      const wantsGpu = name === 'brain' || name === 'tts';
      expect(fn.annotations?.['com.openfaas.profile'], name).toBe(wantsGpu ? profile.metadata.name : undefined);
    }
  });

  it('runs read-only with requests ≤ limits, probes on /_/health and /_/ready, and drains before Kubernetes kills', () => {
    const mebi = (m?: string) => Number(/^(\d+)/.exec(m ?? '')?.[1]) * (m?.endsWith('Gi') ? 1024 : 1);
    const milli = (c?: string) => (c?.endsWith('m') ? Number(c.slice(0, -1)) : Number(c) * 1000);
    for (const [name, fn] of fns) {
      expect(fn.readonly_root_filesystem, name).toBe(true);
      expect(mebi(fn.requests?.memory), name).toBeLessThanOrEqual(mebi(fn.limits?.memory));
      expect(milli(fn.requests?.cpu), name).toBeLessThanOrEqual(milli(fn.limits?.cpu));
      expect(fn.annotations?.['com.openfaas.health.http.path']).toBe('/_/health');
      expect(fn.annotations?.['com.openfaas.ready.http.path']).toBe('/_/ready');
      const grace = Number(fn.environment?.SHUTDOWN_GRACE_MS);
      expect(grace, name).toBeGreaterThan(0);
      expect(grace, name).toBeLessThan(K8S_GRACE_MS);
      expect(fn.environment?.DATA_DIR?.startsWith('/tmp/'), `${name}: DATA_DIR on the writable /tmp`).toBe(true);
    }
  });

  it('sets only variables the code reads, and secrets that become such variables', () => {
    for (const [name, fn] of fns) {
      for (const key of Object.keys(fn.environment ?? {})) expect(ENV_VARS, `${name}: ${key}`).toContain(key);
      for (const secret of fn.secrets ?? [])
        expect(ENV_VARS, `${name}: secret ${secret}`).toContain(secretEnvName(secret));
      expect(CONTRACTS[name as keyof typeof CONTRACTS], name).toBeDefined();
    }
    expect(stack.functions.brain?.secrets).toContain('database-url');
    expect(stack.functions['session-write']?.secrets).toContain('database-url');
  });

  it('gives each function its own image name, overridable registry and tag', () => {
    const images = fns.map(([, fn]) => fn.image);
    expect(new Set(images).size).toBe(images.length);
    const custom = readStack({ ARC_REGISTRY: 'registry.example:5000/arc', ARC_TAG: '1.2.3' });
    expect(custom.functions.tts?.image).toBe('registry.example:5000/arc/arc-tts:1.2.3');
  });
});
