// The brain as a LangGraph StateGraph: retrieve_context → generate_response → persist, streamed as it runs.
import { Annotation, END, type LangGraphRunnableConfig, START, StateGraph } from '@langchain/langgraph';
import type { LlmAdapter } from '../engines/llm/llm.js';
import type { Logger } from '../log.js';
import { type BrainChunk, type BrainRequest, type Memory, SESSION_TURN_MAX_CHARS } from '../protocol/index.js';
import { childSpan, withSpan } from '../telemetry/spans.js';
import type { Persister } from './persist.js';
import { buildMessages } from './prompt.js';
import type { Retriever } from './retrieve.js';

export interface BrainDeps {
  retrieve: Retriever;
  llm: LlmAdapter;
  persister: Persister;
  log: Logger;
}

const BrainState = Annotation.Root({
  request: Annotation<BrainRequest>(),
  startedAt: Annotation<number>(),
  memories: Annotation<Memory[]>(),
  embedding: Annotation<{ model: string; vector: number[] } | undefined>(),
  response: Annotation<string>(),
  interrupted: Annotation<boolean>(),
  timings: Annotation<Record<string, number>>({ reducer: (a, b) => ({ ...a, ...b }), default: () => ({}) }),
});
type State = typeof BrainState.State;

/** What nodes write to the `custom` stream: the chunks the caller sees, in order. */
type Emit = (chunk: BrainChunk) => void;
const emitter = (config: LangGraphRunnableConfig): Emit => (config.writer as Emit | undefined) ?? (() => {});
const signalOf = (config: LangGraphRunnableConfig): AbortSignal => config.signal ?? new AbortController().signal;
const ms = (from: number) => Math.round((performance.now() - from) * 10) / 10;

/** Compiles the graph once per replica; `runBrain` runs it per request. */
export function buildBrainGraph(deps: BrainDeps) {
  async function retrieveContext(state: State, config: LangGraphRunnableConfig): Promise<Partial<State>> {
    const { request } = state;
    const r = await deps.retrieve(request, signalOf(config));
    emitter(config)({ type: 'context', memories: r.memories });
    return {
      memories: r.memories,
      embedding: r.embedding,
      timings: {
        embedMs: round(r.timings.embedMs),
        searchMs: round(r.timings.searchMs),
        retrieveMs: ms(state.startedAt),
        ...(r.degraded ? { retrieveDegraded: 1 } : {}),
      },
    };
  }

  async function generateResponse(state: State, config: LangGraphRunnableConfig): Promise<Partial<State>> {
    const signal = signalOf(config);
    const emit = emitter(config);
    const t0 = performance.now();
    const messages = buildMessages(state.request.text, state.memories, state.request.history);
    let response = '';
    let firstDelta: number | undefined;
    const firstToken = childSpan('llm.first_token', { 'arc.model': deps.llm.model });
    try {
      for await (const text of deps.llm.generate({
        messages,
        userText: state.request.text,
        memories: state.memories,
        signal,
      })) {
        if (firstDelta === undefined) {
          firstDelta = ms(state.startedAt);
          firstToken.end('ok');
        }
        response += text;
        emit({ type: 'delta', text });
      }
    } finally {
      firstToken.end(signal.aborted ? 'cancelled' : 'ok');
      // Barge-in still persists what was said (persistence is never cancelled by an interruption).
      if (signal.aborted) persistNow(state, response, true);
    }
    return {
      response,
      interrupted: signal.aborted,
      timings: { firstDeltaMs: firstDelta ?? ms(state.startedAt), generateMs: ms(t0) },
    };
  }

  function persistNow(state: State, reply: string, interrupted: boolean): void {
    const include = state.request.persist ?? 'all';
    if (include === 'none') return;
    deps.persister.persist({
      include,
      requestId: state.request.requestId,
      sessionId: state.request.sessionId,
      userId: state.request.userId,
      userText: state.request.text,
      userEmbedding: state.embedding,
      reply: reply.slice(0, SESSION_TURN_MAX_CHARS),
      interrupted,
      startedAt: new Date(Date.now() - (performance.now() - state.startedAt)),
    });
  }

  async function persist(state: State, config: LangGraphRunnableConfig): Promise<Partial<State>> {
    const t0 = performance.now();
    if (!state.interrupted) persistNow(state, state.response, false);
    const timings = { ...state.timings, persistMs: ms(t0), totalMs: ms(state.startedAt) };
    emitter(config)({
      type: 'final',
      response: state.response,
      contextIds: state.memories.map((m) => m.id),
      timings,
      model: deps.llm.model,
    });
    return { timings };
  }

  return new StateGraph(BrainState)
    .addNode('retrieve_context', traced('retrieve_context', retrieveContext))
    .addNode('generate_response', traced('generate_response', generateResponse))
    .addNode('persist', traced('persist', persist))
    .addEdge(START, 'retrieve_context')
    .addEdge('retrieve_context', 'generate_response')
    .addEdge('generate_response', 'persist')
    .addEdge('persist', END)
    .compile();
}

export type BrainGraph = ReturnType<typeof buildBrainGraph>;

/** Runs one turn and yields its chunks as the nodes emit them: `context`, `delta`…, `final`. */
export async function* runBrain(
  graph: BrainGraph,
  request: BrainRequest,
  signal: AbortSignal,
): AsyncGenerator<BrainChunk> {
  const stream = await graph.stream(
    { request, startedAt: performance.now(), memories: [], response: '', interrupted: false },
    { streamMode: 'custom', signal },
  );
  for await (const chunk of stream) yield chunk as BrainChunk;
}

/** A node run inside a span of its own (a no-op unless tracing is on): calls and queries in it become children. */
function traced<A extends unknown[], R>(name: string, node: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return function tracedNode(...args) {
    return withSpan(`brain.${name}`, {}, () => node(...args));
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
