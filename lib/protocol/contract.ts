// The shape of a function contract: subject, schemas, limits and timeouts, shared by servers and clients.
import type { z } from 'zod';

/** Default request size limit; NATS' own max_payload is 1 MiB, so nothing larger could travel anyway. */
export const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;

interface ContractBase<Name extends string, Req> {
  /** Function name: folder under functions/, key in stack.yml, queue group, `/function/<name>`. */
  name: Name;
  /** NATS subject the function's queue group listens on. */
  subject: string;
  /** One line for docs and logs. */
  description: string;
  /** Runtime validator of the request body. */
  request: z.ZodType<Req>;
  /** Largest request body accepted, in bytes (JSON as sent). */
  maxRequestBytes: number;
  /** Server-side deadline for one request; the client's own deadline is this plus transport slack. */
  timeoutMs: number;
  /** Safe to run twice: the client may retry or fall back after the request may already have reached a replica. */
  idempotent: boolean;
}

export interface UnaryContract<Name extends string = string, Req = unknown, Res = unknown>
  extends ContractBase<Name, Req> {
  mode: 'unary';
  response: z.ZodType<Res>;
}

export interface JsonStreamContract<Name extends string = string, Req = unknown, Chunk = unknown>
  extends ContractBase<Name, Req> {
  mode: 'stream';
  encoding: 'json';
  chunk: z.ZodType<Chunk>;
  /** The client gives up (and may fall back) when the first chunk takes longer. */
  firstChunkTimeoutMs: number;
  /** The client gives up when two chunks are further apart. */
  idleTimeoutMs: number;
}

export interface BinaryStreamContract<Name extends string = string, Req = unknown> extends ContractBase<Name, Req> {
  mode: 'stream';
  encoding: 'binary';
  /** MIME type of the raw chunked HTTP body, e.g. `audio/L16`. */
  contentType: string;
  firstChunkTimeoutMs: number;
  idleTimeoutMs: number;
}

export type StreamContract<Name extends string = string, Req = unknown, Chunk = unknown> =
  | JsonStreamContract<Name, Req, Chunk>
  | BinaryStreamContract<Name, Req>;

// biome-ignore lint/suspicious/noExplicitAny: contracts are heterogeneous; each use narrows by name.
export type AnyContract = UnaryContract<string, any, any> | StreamContract<string, any, any>;
export type ContractMap = Record<string, AnyContract>;

/** What a caller sends (schema input: defaults may be left out). */
export type RequestOf<C> = C extends { request: z.ZodType } ? z.input<C['request']> : never;
/** What a handler receives (schema output: defaults filled in). */
export type ParsedRequestOf<C> = C extends { request: z.ZodType } ? z.output<C['request']> : never;
export type ResponseOf<C> = C extends UnaryContract<string, unknown, infer R> ? R : never;
export type ChunkOf<C> = C extends BinaryStreamContract
  ? Uint8Array
  : C extends JsonStreamContract<string, unknown, infer K>
    ? K
    : never;

export type UnaryNames<M extends ContractMap> = {
  [K in keyof M]: M[K] extends UnaryContract ? K : never;
}[keyof M] &
  string;
export type StreamNames<M extends ContractMap> = {
  [K in keyof M]: M[K] extends StreamContract ? K : never;
}[keyof M] &
  string;

type Optional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
type Defaulted = 'maxRequestBytes' | 'timeoutMs' | 'idempotent';

export function unaryContract<Name extends string, Req, Res>(
  spec: Optional<Omit<UnaryContract<Name, Req, Res>, 'mode'>, Defaulted>,
): UnaryContract<Name, Req, Res> {
  return {
    maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
    timeoutMs: 10_000,
    idempotent: true,
    ...spec,
    mode: 'unary',
  };
}

type StreamDefaulted = Defaulted | 'firstChunkTimeoutMs' | 'idleTimeoutMs';

export function jsonStreamContract<Name extends string, Req, Chunk>(
  spec: Optional<Omit<JsonStreamContract<Name, Req, Chunk>, 'mode' | 'encoding'>, StreamDefaulted>,
): JsonStreamContract<Name, Req, Chunk> {
  return { ...streamDefaults, ...spec, mode: 'stream', encoding: 'json' };
}

export function binaryStreamContract<Name extends string, Req>(
  spec: Optional<Omit<BinaryStreamContract<Name, Req>, 'mode' | 'encoding'>, StreamDefaulted>,
): BinaryStreamContract<Name, Req> {
  return { ...streamDefaults, ...spec, mode: 'stream', encoding: 'binary' };
}

const streamDefaults = {
  maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
  timeoutMs: 60_000,
  idempotent: true,
  firstChunkTimeoutMs: 5_000,
  idleTimeoutMs: 10_000,
};
