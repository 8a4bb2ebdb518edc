// Ports and addresses agree between docker-compose.yml, Traefik, livekit.yaml, the image and lib/config.
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../lib/config/index.js';
import { FUNCTION_NAMES } from '../../lib/protocol/subjects.js';
import { readCompose, readEnvExample, readText, readYaml, schemaErrors, TEST_SECRETS } from './deploy-files.js';

const compose = readCompose(true, { ...readEnvExample(), ...TEST_SECRETS });
const svc = (name: string) => compose.services[name] ?? {};
interface Router {
  entryPoints: string[];
  rule: string;
  service: string;
  middlewares?: string[];
  tls?: unknown;
}
interface Dynamic {
  http: {
    routers: Record<string, Router>;
    services: Record<string, { loadBalancer: { servers: { url: string }[]; serversTransport?: string } }>;
    middlewares: Record<string, Record<string, unknown>>;
    serversTransports: Record<string, { forwardingTimeouts?: Record<string, string> }>;
  };
}
interface Static {
  entryPoints: Record<string, { address: string; transport?: { respondingTimeouts?: Record<string, string> } }>;
}
const traefik = readYaml<Static>('gateway/traefik/traefik.yml');
const dynamic = readYaml<Dynamic>('gateway/traefik/dynamic/routes.yml');
const livekit = readYaml<{
  port: number;
  rtc: {
    tcp_port: number;
    port_range_start: number;
    port_range_end: number;
    turn_servers: { host: string; port: number; secret_file?: string }[];
  };
  redis: { address: string };
  room: { auto_create: boolean; empty_timeout: number; max_participants: number };
  keys?: unknown;
}>('livekit.yaml');

const serviceUrl = (name: string) =>
  new URL(dynamic.http.services[name]?.loadBalancer.servers[0]?.url ?? 'http://none');
const entryPort = (name: string) => Number(traefik.entryPoints[name]?.address.replace(':', ''));
/** Published ports of a compose service as `host:container/proto` strings. */
const published = (name: string) => svc(name).ports ?? [];

describe('Traefik configuration', () => {
  it('static and dynamic files validate against the Traefik v3 schemas', () => {
    expect(schemaErrors('test/deploy/schemas/traefik-v3.json', traefik)).toEqual([]);
    expect(schemaErrors('test/deploy/schemas/traefik-v3-file-provider.json', dynamic)).toEqual([]);
    const typo = structuredClone(dynamic) as unknown as { http: { routers: Record<string, Record<string, unknown>> } };
    (typo.http.routers.web as Record<string, unknown>).middleware = ['x'];
    expect(schemaErrors('test/deploy/schemas/traefik-v3-file-provider.json', typo).length).toBeGreaterThan(0);
  });

  it('routers use only defined entry points, services and middlewares', () => {
    for (const [name, r] of Object.entries(dynamic.http.routers)) {
      for (const ep of r.entryPoints) expect(traefik.entryPoints[ep], `${name}: ${ep}`).toBeDefined();
      expect(dynamic.http.services[r.service], `${name}: ${r.service}`).toBeDefined();
      for (const m of r.middlewares ?? []) expect(dynamic.http.middlewares[m], `${name}: ${m}`).toBeDefined();
    }
    for (const [name, s] of Object.entries(dynamic.http.services)) {
      const t = s.loadBalancer.serversTransport;
      if (t) expect(dynamic.http.serversTransports[t], `${name}: ${t}`).toBeDefined();
    }
  });

  it('serves the public entry point over TLS with security headers and a rate limit on every route', () => {
    const publicRouters = Object.entries(dynamic.http.routers).filter(([, r]) => r.entryPoints.includes('websecure'));
    expect(publicRouters.map(([n]) => n).sort()).toEqual(['functions', 'livekit', 'token', 'web']);
    for (const [name, r] of publicRouters) {
      expect(r.tls, name).toBeDefined();
      expect(r.middlewares, name).toContain('security-headers');
      expect(
        r.middlewares?.some((m) => 'rateLimit' in (dynamic.http.middlewares[m] ?? {})),
        name,
      ).toBe(true);
    }
    expect(traefik.entryPoints.web?.address).toBe(':80');
    expect(JSON.stringify(traefik.entryPoints.web)).toContain('websecure');
  });

  it('routes livekit.arc.local to LiveKit signalling with no read deadline for the WebSocket', () => {
    expect(dynamic.http.routers.livekit?.rule).toBe('Host(`livekit.arc.local`)');
    expect(serviceUrl('livekit').hostname).toBe('livekit');
    expect(Number(serviceUrl('livekit').port)).toBe(livekit.port);
    expect(traefik.entryPoints.websecure?.transport?.respondingTimeouts?.readTimeout).toBe('0s');
    const transport = dynamic.http.services.livekit?.loadBalancer.serversTransport as string;
    expect(dynamic.http.serversTransports[transport]?.forwardingTimeouts?.responseHeaderTimeout).toBe('0s');
  });

  it('routes /function/ and /system/ to the function gateway and / to the web gateway', () => {
    expect(dynamic.http.routers.functions?.rule).toContain('PathPrefix(`/function/`)');
    expect(dynamic.http.routers.functions?.rule).toContain('PathPrefix(`/system/`)');
    expect(dynamic.http.routers.functions?.service).toBe('function-gateway');
    expect(dynamic.http.routers.web?.service).toBe('web');
    // In compose the function gateway is Traefik's own `functions` entry point.
    expect(Number(serviceUrl('function-gateway').port)).toBe(entryPort('functions'));
  });

  it('does not proxy UDP: media and TURN go straight to LiveKit and coturn', () => {
    for (const [name, ep] of Object.entries(traefik.entryPoints)) expect(ep.address, name).not.toMatch(/udp/i);
    expect(readText('gateway/traefik/dynamic/routes.yml')).not.toMatch(/^udp:/m);
    for (const p of published('traefik')) expect(p).not.toMatch(/udp/);
  });
});

describe('ports across compose, Traefik, livekit.yaml and config', () => {
  it('functions listen on the config default (8080), which the image, compose, stack and Traefik all use', () => {
    expect(DEFAULTS.port).toBe(8080);
    const dockerfile = readText('openfaas/Dockerfile');
    expect(dockerfile).toMatch(/^EXPOSE 8080$/m);
    expect(dockerfile).toMatch(/PORT=8080/);
    for (const name of FUNCTION_NAMES) {
      expect(svc(name).environment?.PORT, name).toBe(String(DEFAULTS.port));
      expect(svc(name).expose, name).toContain(String(DEFAULTS.port));
      expect(dynamic.http.routers[`fn-${name}`]?.rule, name).toBe(`PathPrefix(\`/function/${name}\`)`);
      expect(dynamic.http.routers[`fn-${name}`]?.entryPoints, name).toEqual(['functions']);
      const url = serviceUrl(`fn-${name}`);
      expect([url.hostname, Number(url.port)], name).toEqual([name, DEFAULTS.port]);
      // Published on no host port: reached through NATS or the gateway only.
      expect(published(name), name).toEqual([]);
    }
  });

  it('FUNCTION_GATEWAY_URL points at the function gateway entry point (8080, like the OpenFaaS gateway)', () => {
    for (const name of [...FUNCTION_NAMES, 'agent-host', 'gateway']) {
      const url = new URL(svc(name).environment?.FUNCTION_GATEWAY_URL ?? 'http://none');
      expect([url.hostname, Number(url.port)], name).toEqual(['traefik', entryPort('functions')]);
    }
    expect(entryPort('functions')).toBe(8080);
  });

  it('the web gateway listens on 3000 where Traefik and its health check look', () => {
    expect(svc('gateway').environment?.PORT).toBe('3000');
    expect(svc('gateway').expose).toContain('3000');
    expect([serviceUrl('web').hostname, serviceUrl('web').port]).toEqual(['gateway', '3000']);
    expect(svc('gateway').healthcheck?.test.join(' ')).toContain('127.0.0.1:3000/api/health');
  });

  it('LiveKit: signalling 7880 internal, ICE/TCP 7881 and UDP 50000-60000 published as livekit.yaml says', () => {
    expect(livekit.port).toBe(7880);
    expect(livekit.rtc.tcp_port).toBe(7881);
    expect([livekit.rtc.port_range_start, livekit.rtc.port_range_end]).toEqual([50000, 60000]);
    expect(svc('livekit').expose).toContain(String(livekit.port));
    expect(published('livekit')).toContain(`${livekit.rtc.tcp_port}:${livekit.rtc.tcp_port}/tcp`);
    const range = `${livekit.rtc.port_range_start}-${livekit.rtc.port_range_end}`;
    expect(published('livekit')).toContain(`${range}:${range}/udp`);
    expect(published('livekit').some((p) => p.includes(String(livekit.port)))).toBe(false);
    for (const name of ['agent-host', 'gateway']) {
      expect(svc(name).environment?.LIVEKIT_URL, name).toBe(`ws://livekit:${livekit.port}`);
    }
    expect(svc('livekit').healthcheck?.test.join(' ')).toContain(`127.0.0.1:${livekit.port}`);
  });

  it('livekit.yaml: the ADR room settings, redis from compose, keys from the environment', () => {
    expect(schemaErrors('test/deploy/schemas/livekit.schema.json', livekit)).toEqual([]);
    expect(livekit.room).toMatchObject({ auto_create: true, empty_timeout: 300, max_participants: 10 });
    const [host, port] = livekit.redis.address.split(':');
    expect(compose.services[host as string]).toBeDefined();
    expect(port).toBe('6379');
    expect(livekit.keys).toBeUndefined();
    expect(svc('livekit').environment?.LIVEKIT_KEYS).toBe('k: s');
  });

  it('TURN: livekit.yaml names coturn on 3478 with the shared secret file compose mounts (mode 0400)', () => {
    const args = svc('coturn').command ?? [];
    expect(args).toContain('--listening-port=3478');
    expect(args).toContain('--use-auth-secret');
    for (const t of livekit.rtc.turn_servers) {
      expect(t.port).toBe(3478);
      expect(t.secret_file).toBe('/run/secrets/turn_secret');
    }
    expect(published('coturn')).toEqual(expect.arrayContaining(['3478:3478/udp', '3478:3478/tcp']));
    const min = args.find((a) => a.startsWith('--min-port='))?.split('=')[1];
    const max = args.find((a) => a.startsWith('--max-port='))?.split('=')[1];
    expect(published('coturn')).toContain(`${min}-${max}:${min}-${max}/udp`);
    // The relay range must not overlap LiveKit's media range.
    expect(Number(max)).toBeLessThan(livekit.rtc.port_range_start);
    const mount = svc('livekit').secrets?.find((s) => typeof s !== 'string' && s.source === 'turn_secret');
    expect(mount).toMatchObject({ target: 'turn_secret', mode: 0o400 });
  });

  it('NATS (4222, JetStream) and the services that use it agree', () => {
    expect(svc('nats').expose).toContain('4222');
    for (const name of [...FUNCTION_NAMES, 'agent-host', 'gateway']) {
      expect(svc(name).environment?.NATS_URL, name).toBe('nats://nats:4222');
    }
    expect(svc('nats').command).toEqual(expect.arrayContaining(['-js', '-m', '8222']));
    expect(svc('nats').healthcheck?.test.join(' ')).toContain('127.0.0.1:8222/healthz');
  });

  it('ports published on the host do not collide', () => {
    const seen = new Map<string, string>();
    for (const [name, s] of Object.entries(compose.services)) {
      for (const p of s.ports ?? []) {
        const [hostPart, containerPart] = p.split(':');
        const proto = containerPart?.split('/')[1] ?? 'tcp';
        const [from, to] = (hostPart as string).split('-').map(Number);
        for (let port = from as number; port <= (to ?? from ?? 0); port++) {
          const key = `${port}/${proto}`;
          expect(seen.get(key), `${name} and ${seen.get(key)} both publish ${key}`).toBeUndefined();
          seen.set(key, name);
        }
      }
    }
  });
});
