// In-process transport: calls a runtime living in this process (the embedded default's last resort).

import { type AnyContract, ArcError, CancelledError, TimeoutError } from '../../protocol/index.js';
import type { FunctionRuntime } from '../../runtime/runtime.js';
import { raceAbort } from '../../util/abort.js';
import {
  type CallContext,
  type ClientTransport,
  type Payload,
  type StreamedChunk,
  TransportError,
} from './transport.js';

export class InprocTransport implements ClientTransport {
  readonly kind = 'inproc' as const;

  constructor(private readonly runtimes: ReadonlyMap<string, FunctionRuntime>) {}

  usable(name: string): boolean {
    return this.runtimes.get(name)?.state === 'ready';
  }

  cancel(requestId: string): void {
    for (const r of this.runtimes.values()) r.cancel(requestId);
  }

  async unary(contract: AnyContract, payload: Payload, ctx: CallContext): Promise<unknown> {
    const deadline = AbortSignal.timeout(ctx.firstChunkTimeoutMs);
    try {
      return await raceAbort(
        this.runtime(contract).unary({ ...input(payload, ctx), signal: AbortSignal.any([ctx.signal, deadline]) }),
        ctx.signal,
        deadline,
      );
    } catch (err) {
      if (ctx.signal.aborted) throw new CancelledError();
      if (deadline.aborted) throw new TimeoutError(`${contract.name} (in-process)`, ctx.firstChunkTimeoutMs);
      throw err;
    }
  }

  stream(contract: AnyContract, payload: Payload, ctx: CallContext): AsyncIterableIterator<StreamedChunk> {
    const call = this.runtime(contract).stream({ ...input(payload, ctx), signal: ctx.signal });
    let first = true;
    return {
      next: async () => {
        const r = await call.chunks.next();
        if (r.done) return r;
        const chunk: StreamedChunk = first ? { data: r.value, headers: call.headers } : { data: r.value };
        first = false;
        return { done: false, value: chunk };
      },
      return: async () => {
        await call.chunks.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  private runtime(contract: AnyContract): FunctionRuntime {
    const runtime = this.runtimes.get(contract.name);
    if (!runtime) throw new TransportError('unavailable', `no in-process replica of ${contract.name}`, false);
    if (runtime.contract !== contract && runtime.contract.subject !== contract.subject) {
      throw new ArcError('internal', `in-process replica ${contract.name} serves another contract`);
    }
    return runtime;
  }
}

function input(payload: Payload, ctx: CallContext) {
  return {
    transport: 'inproc' as const,
    value: payload.value,
    requestId: ctx.requestId,
    traceparent: ctx.traceparent,
  };
}
