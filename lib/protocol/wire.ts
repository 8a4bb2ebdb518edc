// Encoding shared by both ends: request decoding with typed errors, JSON bytes, and Server-Sent Events framing.
import type { z } from 'zod';
import type { AnyContract } from './contract.js';
import { ArcError, InvalidRequestError, PayloadTooLargeError } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Parses JSON bytes; anything undecodable is a `bad_request`, never a crash. */
export function decodeJson(bytes: Uint8Array, what = 'body'): unknown {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch (cause) {
    throw new ArcError('bad_request', `${what} is not valid UTF-8`, { cause });
  }
  if (text.trim() === '') throw new ArcError('bad_request', `${what} is empty; expected JSON`);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ArcError('bad_request', `${what} is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/** Validates a value against a schema, turning schema issues into an `invalid_request` naming each field. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, what = 'request'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(root)',
    message: i.message,
  }));
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  throw new InvalidRequestError(`${what} is invalid: ${summary}`, { details: { issues } });
}

/** Size check, JSON parse and schema validation of a request body, in that order. */
export function decodeRequest<C extends AnyContract>(contract: C, bytes: Uint8Array): z.infer<C['request']> {
  if (bytes.byteLength > contract.maxRequestBytes) {
    throw new PayloadTooLargeError(bytes.byteLength, contract.maxRequestBytes);
  }
  return validate(contract.request, decodeJson(bytes, `${contract.name} request`));
}

// ---- Server-Sent Events -------------------------------------------------------------------------

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

export function formatSse({ event, data, id }: SseEvent): string {
  const lines = id === undefined ? [`event: ${event}`] : [`id: ${id}`, `event: ${event}`];
  for (const line of data.split('\n')) lines.push(`data: ${line}`);
  return `${lines.join('\n')}\n\n`;
}

/** Incremental parser: feed decoded text as it arrives, get complete events back. */
export class SseParser {
  private buffer = '';

  feed(text: string): SseEvent[] {
    this.buffer += text.replace(/\r\n?/g, '\n');
    const events: SseEvent[] = [];
    let end = this.buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const parsed = parseBlock(block);
      if (parsed) events.push(parsed);
      end = this.buffer.indexOf('\n\n');
    }
    return events;
  }

  /** Text received after the last complete event (non-empty means the stream was cut). */
  get pending(): string {
    return this.buffer;
  }
}

function parseBlock(block: string): SseEvent | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  if (data.length === 0 && event === 'message') return undefined;
  return id === undefined ? { event, data: data.join('\n') } : { event, data: data.join('\n'), id };
}
