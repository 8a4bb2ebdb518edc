// How a function is written: its contract plus a setup that returns a plain handler (no NATS, no HTTP).
import type { FunctionClient } from '../bus/client.js';
import type { NatsLink } from '../bus/nats-link.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type {
  AnyContract,
  ChunkOf,
  ParsedRequestOf,
  ResponseOf,
  StreamContract,
  UnaryContract,
} from '../protocol/index.js';
import type { Transport } from '../telemetry/metrics.js';

/** What a handler gets besides its validated request. */
export interface HandlerContext {
  requestId: string;
  /** Aborts on cancel (`arc.cancel.<id>`, client gone), deadline, or shutdown. Stop work quietly. */
  signal: AbortSignal;
  /** Logger whose every line carries requestId and traceId. */
  log: Logger;
  traceparent: string;
  transport: Transport;
  /** Streams only: a header sent with the reply (e.g. Arc-Sample-Rate). Set it before the first chunk. */
  setStreamHeader(name: string, value: string): void;
}

export type UnaryHandler<C extends UnaryContract> = (
  req: ParsedRequestOf<C>,
  ctx: HandlerContext,
) => Promise<ResponseOf<C>>;

export type StreamHandler<C extends StreamContract> = (
  req: ParsedRequestOf<C>,
  ctx: HandlerContext,
) => AsyncIterable<ChunkOf<C>>;

export type HandlerOf<C extends AnyContract> = C extends UnaryContract
  ? UnaryHandler<C>
  : C extends StreamContract
    ? StreamHandler<C>
    : never;

/** What setup gets: the process's config and logger, its NATS link, and a client to call other functions. */
export interface SetupContext {
  config: Config;
  log: Logger;
  nats: NatsLink;
  client: FunctionClient;
}

/** What setup returns: the handler, and optionally a readiness probe and a close hook. */
export interface FunctionInstance<C extends AnyContract> {
  handle: HandlerOf<C>;
  /** Extra readiness (e.g. a database reachable); the replica is ready when setup is done and this says so. */
  ready?: () => Promise<{ ok: boolean; detail?: string }> | { ok: boolean; detail?: string };
  close?: () => Promise<void> | void;
}

export interface FunctionDefinition<C extends AnyContract = AnyContract> {
  contract: C;
  /** Loads models and opens connections once per replica, before it takes any request (the warm pool). */
  setup: (ctx: SetupContext) => Promise<FunctionInstance<C>> | FunctionInstance<C>;
  /** Requests one replica runs at once; more wait in a bounded line. */
  maxConcurrent?: number;
  /** Requests that may wait for a slot; beyond it callers get `busy` (default 4 × maxConcurrent). */
  maxQueued?: number;
}

export function defineFunction<C extends AnyContract>(
  contract: C,
  setup: FunctionDefinition<C>['setup'],
  options: { maxConcurrent?: number; maxQueued?: number } = {},
): FunctionDefinition<C> {
  return { contract, setup, ...options };
}
