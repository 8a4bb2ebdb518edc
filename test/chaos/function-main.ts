// Process entry for one real function replica (`ARC_FUNCTION` = brain | tts | embed | session-write), from source:
// the same runFunction a bundle runs (config from the environment, NATS + HTTP, drain on SIGTERM).
import type { AnyContract } from '../../lib/protocol/index.js';
import type { FunctionDefinition } from '../../lib/runtime/define.js';
import { runFunction } from '../../lib/runtime/main.js';

const name = process.env.ARC_FUNCTION ?? '';
if (!['brain', 'tts', 'embed', 'session-write'].includes(name)) throw new Error(`ARC_FUNCTION: unknown "${name}"`);
const mod = (await import(`../../functions/${name}/handler.js`)) as { default: FunctionDefinition<AnyContract> };
await runFunction(mod.default);
