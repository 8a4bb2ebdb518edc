// deploy/observability and bench/load/k6.js: valid files that only ask for metrics the code exports.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectProcessMetrics, registry, TURN_STAGES } from '../../lib/telemetry/metrics.js';
import { readCompose, readYaml, rootPath, schemaErrors } from '../deploy/deploy-files.js';

const DIR = 'deploy/observability';
interface Service {
  image?: string;
  ports?: string[];
  volumes?: string[];
  healthcheck?: unknown;
  depends_on?: Record<string, { condition: string }>;
}
const observability = readYaml<{ services: Record<string, Service> }>(`${DIR}/compose.yml`);
const main = readCompose(false);
interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string }[];
}
const dashboard = JSON.parse(readFileSync(rootPath(DIR, 'grafana/dashboards/arc.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
};
const rulesText = readFileSync(rootPath(DIR, 'prometheus/rules.yml'), 'utf8');
const rules = readYaml<{ groups: { rules: { expr: string; record?: string; alert?: string }[] }[] }>(
  `${DIR}/prometheus/rules.yml`,
);

collectProcessMetrics();
/** Series names the registry exports (a histogram as its _bucket, _sum and _count). */
async function exported(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (m.type === ('histogram' as never)) for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

/** `arc_…` series names an expression reads (recording rules' own `arc:` names are not series of ours). */
function seriesIn(expr: string): string[] {
  return [...expr.matchAll(/\barc_[a-z0-9_]+/g)].map((m) => m[0]);
}

const promtool = (() => {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('observability compose file', () => {
  it('is included by docker-compose.yml and valid per the Compose specification', () => {
    expect((main as { include?: string[] }).include).toContain(`${DIR}/compose.yml`);
    expect(schemaErrors('test/deploy/schemas/compose-spec.json', observability)).toEqual([]);
    expect(Object.keys(observability.services).sort()).toEqual(['grafana', 'jaeger', 'prometheus']);
    for (const name of Object.keys(observability.services)) expect(main.services[name], name).toBeUndefined();
  });

  it('pins images, publishes UIs on loopback only, and mounts only files that exist', () => {
    for (const [name, s] of Object.entries(observability.services)) {
      expect(s.image, name).toMatch(/^[a-z0-9./-]+:v?\d+(\.\d+)+$/);
      for (const p of s.ports ?? []) expect(p, name).toMatch(/^'?127\.0\.0\.1:/);
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0] as string;
        if (source.startsWith('./')) expect(() => readFileSync(rootPath(DIR, source)), v).not.toThrow(/ENOENT/);
      }
    }
    // The services send spans to the Jaeger of this file, on its OTLP/HTTP port.
    const env = readFileSync(rootPath('.env.example'), 'utf8');
    expect(env).toMatch(/^OTEL_EXPORTER_OTLP_ENDPOINT=http:\/\/jaeger:4318$/m);
  });

  it('scrapes every function and the agent host on the port they serve /metrics on', () => {
    const prom = readYaml<{
      scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; port: number }[] }[];
    }>(`${DIR}/prometheus/prometheus.yml`);
    const scraped = new Map<string, number>();
    for (const job of prom.scrape_configs)
      for (const sd of job.dns_sd_configs ?? []) for (const n of sd.names) scraped.set(n, sd.port);
    for (const name of ['brain', 'tts', 'embed', 'session-write', 'agent-host']) {
      expect(main.services[name], name).toBeDefined();
      expect(scraped.get(name), name).toBe(Number(main.services[name]?.environment?.PORT ?? 8080));
    }
  });
});

describe('dashboard and alert rules', () => {
  it('query only series the code exports (the check can fail: a made-up name is caught)', async () => {
    const names = await exported();
    const exprs = [
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)),
    ];
    expect(exprs.length).toBeGreaterThan(20);
    const unknown = exprs.flatMap(seriesIn).filter((n) => !names.has(n));
    expect(unknown).toEqual([]);
    expect(seriesIn('rate(arc_made_up_total[1m])').filter((n) => !names.has(n))).toEqual(['arc_made_up_total']);
    // Stage labels are the ones the host observes.
    for (const m of `${JSON.stringify(dashboard)}${rulesText}`.matchAll(/stage=\\?"([a-z_]+)\\?"/g))
      expect(Object.values(TURN_STAGES)).toContain(m[1]);
  });

  it('has the alerts the issue asks for: E2E P95 over 1 s, error rate, no responders', () => {
    const alerts = rules.groups.flatMap((g) => g.rules.filter((r) => r.alert).map((r) => r.alert));
    expect(alerts).toEqual(expect.arrayContaining(['ArcE2EP95OverBudget', 'ArcFunctionErrorRate', 'ArcNoResponders']));
  });

  it('dashboard panels use the provisioned data source and do not overlap', () => {
    const sources = readYaml<{ datasources: { uid: string }[] }>(
      `${DIR}/grafana/provisioning/datasources/datasources.yml`,
    ).datasources.map((d) => d.uid);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      if (p.datasource) expect(sources, p.title).toContain(p.datasource.uid);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
    }
    const provider = readYaml<{ providers: { options: { path: string } }[] }>(
      `${DIR}/grafana/provisioning/dashboards/dashboards.yml`,
    );
    expect(observability.services.grafana?.volumes).toContain(
      `./grafana/dashboards:${provider.providers[0]?.options.path}:ro`,
    );
  });

  it.skipIf(!promtool)(
    'promtool: rules and config check, and the alert unit tests pass (skipped without promtool)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'arc-prom-'));
      try {
        execFileSync('promtool', ['check', 'rules', rootPath(DIR, 'prometheus/rules.yml')], { stdio: 'pipe' });
        execFileSync('promtool', ['test', 'rules', 'rules.test.yml'], {
          cwd: rootPath(DIR, 'prometheus'),
          stdio: 'pipe',
        });
        // The config names the rules at their path inside the container.
        copyFileSync(rootPath(DIR, 'prometheus/rules.yml'), join(dir, 'rules.yml'));
        const config = readFileSync(rootPath(DIR, 'prometheus/prometheus.yml'), 'utf8');
        expect(config).toContain('/etc/prometheus/rules.yml');
        writeFileSync(join(dir, 'prometheus.yml'), config.replace('/etc/prometheus/rules.yml', join(dir, 'rules.yml')));
        execFileSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { stdio: 'pipe' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('k6 script', () => {
  it('parses as a JavaScript module and drives the surfaces it claims', () => {
    execFileSync(process.execPath, ['--check', rootPath('bench/load/k6.js')]);
    const k6 = readFileSync(rootPath('bench/load/k6.js'), 'utf8');
    for (const surface of ['/api/health', '/function/brain', '/function/tts', '/api/ws', 'text/event-stream'])
      expect(k6, surface).toContain(surface);
  });
});
