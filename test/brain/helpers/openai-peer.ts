// TEST PEER: a protocol-faithful OpenAI-compatible chat server (the real wire format: POST /v1/chat/completions,
// `text/event-stream` of `data: {chat.completion.chunk}` lines ending in `data: [DONE]`, JSON errors), with
// scripted misbehaviour. It stands in for Ollama / vLLM / llama.cpp server, which cannot run here.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type PeerScript =
  | { kind: 'reply'; tokens: string[]; gapMs?: number; holdAfterFirstMs?: number }
  | { kind: 'http-error'; status: number; message: string }
  | { kind: 'error-mid-stream'; tokens: string[]; message: string }
  | { kind: 'disconnect-mid-stream'; tokens: string[] }
  | { kind: 'stall'; tokens: string[] };

export interface OpenAiPeer {
  url: string;
  /** Bodies of the requests received, parsed. */
  requests: { model: string; stream: boolean; messages: { role: string; content: string }[] }[];
  /** Set when the client closed the connection before the reply ended. */
  clientAborted: boolean;
  /** Time at which each content chunk was written, ms (performance.now). */
  sentAt: number[];
  script: PeerScript;
  close(): Promise<void>;
}

export async function startOpenAiPeer(initial: PeerScript): Promise<OpenAiPeer> {
  const peer = { requests: [], clientAborted: false, sentAt: [], script: initial } as unknown as OpenAiPeer;
  const server: Server = createServer((req, res) => void handle(peer, req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  peer.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  peer.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return peer;
}

async function handle(peer: OpenAiPeer, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } }));
    return;
  }
  let body = '';
  for await (const chunk of req) body += chunk;
  const parsed = JSON.parse(body);
  peer.requests.push(parsed);
  res.on('close', () => {
    if (!res.writableFinished) peer.clientAborted = true;
  });
  const script = peer.script;
  if (script.kind === 'http-error') {
    res.writeHead(script.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: script.message, type: 'server_error', code: script.status } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const id = `chatcmpl-${Math.random().toString(36).slice(2, 10)}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: parsed.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  res.write(chunk({ role: 'assistant', content: '' }));
  res.write(': keep-alive comment\n\n');
  for (const [i, token] of script.tokens.entries()) {
    if (res.destroyed) return;
    res.write(chunk({ content: token }));
    peer.sentAt.push(performance.now());
    if (script.kind === 'reply') {
      if (i === 0 && script.holdAfterFirstMs) await sleep(script.holdAfterFirstMs);
      else if (script.gapMs) await sleep(script.gapMs);
    }
  }
  switch (script.kind) {
    case 'reply':
      res.write(chunk({}, 'stop'));
      res.end('data: [DONE]\n\n');
      return;
    case 'error-mid-stream':
      // vLLM and llama.cpp server report failures after the headers as an `error` object in a data line.
      res.end(`data: ${JSON.stringify({ error: { message: script.message, type: 'server_error' } })}\n\n`);
      return;
    case 'disconnect-mid-stream':
      await sleep(50); // the tokens reach the client, then the server process dies
      res.socket?.destroy();
      return;
    case 'stall':
      return; // headers and some tokens, then silence
  }
}
