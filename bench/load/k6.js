// k6 load script for the HTTP / WebSocket surface of a deployed stack (https://k6.io; not installable here, so
// it is only checked for syntax by test/telemetry/observability_files.test.ts).
//
//   k6 run bench/load/k6.js                                   compose behind Traefik (https://arc.local)
//   k6 run -e BASE_URL=http://127.0.0.1:3000 -e SCENARIOS=ws,health bench/load/k6.js     `npm start` (local mode)
//
// Scenarios (SCENARIOS, comma-separated; default all but ws, which only a local-mode gateway serves):
//   health   GET /api/health, a constant trickle
//   brain    text turns: POST /function/brain as Server-Sent Events, ramping virtual users
//   tts      speakable chunks: POST /function/tts (raw PCM), ramping virtual users
//   ws       spoken turns over the local-mode WebSocket (/api/ws): hello, 20 ms PCM frames of WAV (a 16 kHz mono
//            s16le WAV file; WAV=path) in real time then silence; E2E = first agent audio − last frame of speech
import { check, sleep } from 'k6';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import ws from 'k6/ws';

const BASE = (__ENV.BASE_URL || 'https://arc.local').replace(/\/+$/, '');
const WS_BASE = BASE.replace(/^http/, 'ws');
const ENABLED = (__ENV.SCENARIOS || 'health,brain,tts').split(',');
const MAX_VUS = Number(__ENV.MAX_VUS || 20);
const WAV = __ENV.WAV ? open(__ENV.WAV, 'b') : null;

const e2e = new Trend('arc_ws_e2e', true);
const firstDelta = new Trend('arc_brain_first_delta', true);
const turnsWithoutAudio = new Counter('arc_ws_turns_without_audio');

const ramp = (exec) => ({
  executor: 'ramping-vus',
  exec,
  startVUs: 1,
  stages: [
    { duration: '1m', target: Math.ceil(MAX_VUS / 4) },
    { duration: '2m', target: MAX_VUS },
    { duration: '1m', target: MAX_VUS },
    { duration: '30s', target: 0 },
  ],
});

const ALL = {
  health: {
    executor: 'constant-arrival-rate',
    exec: 'health',
    rate: 1,
    timeUnit: '1s',
    duration: '4m30s',
    preAllocatedVUs: 2,
  },
  brain: ramp('brain'),
  tts: ramp('tts'),
  ws: ramp('voice'),
};

export const options = {
  insecureSkipTLSVerify: true,
  scenarios: Object.fromEntries(ENABLED.filter((s) => ALL[s]).map((s) => [s, ALL[s]])),
  thresholds: {
    http_req_failed: ['rate<0.01'],
    arc_ws_e2e: ['p(95)<1000'],
    arc_brain_first_delta: ['p(95)<500'],
  },
};

const TEXTS = ['my name is alice', 'what is my name', 'i like green tea', 'what do i like'];

export function health() {
  const res = http.get(`${BASE}/api/health`);
  check(res, { 'health 200': (r) => r.status === 200 });
}

export function brain() {
  const user = `k6-${__VU}`;
  const body = JSON.stringify({
    requestId: `k6-${__VU}-${__ITER}-${Date.now()}`,
    sessionId: `k6-session-${__VU}`,
    userId: user,
    text: TEXTS[__ITER % TEXTS.length],
  });
  const res = http.post(`${BASE}/function/brain`, body, {
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    timeout: '30s',
  });
  // k6 reads the whole stream; waiting = time to the first byte, the first SSE event (context or delta).
  firstDelta.add(res.timings.waiting);
  check(res, {
    'brain 200': (r) => r.status === 200,
    'brain final': (r) => typeof r.body === 'string' && r.body.includes('"final"'),
  });
  sleep(1);
}

export function tts() {
  const body = JSON.stringify({
    requestId: `k6-tts-${__VU}-${__ITER}-${Date.now()}`,
    text: 'Sure, the quickest way to get there is to take the river path north.',
    sampleRate: 22050,
  });
  const res = http.post(`${BASE}/function/tts`, body, {
    headers: { 'content-type': 'application/json' },
    responseType: 'binary',
    timeout: '30s',
  });
  check(res, {
    'tts 200': (r) => r.status === 200,
    'tts audio': (r) => r.body && r.body.byteLength > 22050,
  });
  sleep(0.5);
}

/** 16 kHz mono s16le PCM of the WAV (data chunk after a 44-byte header), or 1.5 s of a 200 Hz tone. */
function speechPcm() {
  if (WAV) return new Int16Array(WAV.slice(44));
  const tone = new Int16Array(24000);
  for (let i = 0; i < tone.length; i++) tone[i] = Math.round(8000 * Math.sin((2 * Math.PI * 200 * i) / 16000));
  return tone;
}

export function voice() {
  const speech = speechPcm();
  const frame = 320; // 20 ms at 16 kHz
  const url = `${WS_BASE}/api/ws`;
  const res = ws.connect(url, {}, (socket) => {
    let sent = 0;
    let speechEndAt = 0;
    let heard = false;
    let timer;
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'hello', userId: `k6-${__VU}`, sampleRate: 16000, version: 1 })),
    );
    socket.on('message', (text) => {
      const msg = JSON.parse(text);
      if (msg.type !== 'ready') return;
      timer = socket.setInterval(() => {
        const from = sent * frame;
        const chunk = from < speech.length ? speech.slice(from, from + frame) : new Int16Array(frame);
        if (from < speech.length && from + frame >= speech.length) speechEndAt = Date.now();
        socket.sendBinary(chunk.buffer);
        sent++;
      }, 20);
    });
    socket.on('binaryMessage', (data) => {
      if (heard || !speechEndAt) return;
      const pcm = new Int16Array(data);
      let peak = 0;
      for (let i = 0; i < pcm.length; i++) peak = Math.max(peak, Math.abs(pcm[i]));
      if (peak > 300) {
        heard = true;
        e2e.add(Date.now() - speechEndAt);
      }
    });
    socket.setTimeout(() => {
      if (!heard) turnsWithoutAudio.add(1);
      if (timer) socket.clearInterval(timer);
      socket.send(JSON.stringify({ type: 'bye' }));
      socket.close();
    }, 12000);
  });
  check(res, { 'ws 101': (r) => r && r.status === 101 });
}
