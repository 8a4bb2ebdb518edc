// Process entry for one test replica of the echo fixtures (`FIXTURE_FN` = echo | count), run as a bundle runs.
import { runFunction } from '../../lib/runtime/main.js';
import { echoContracts, echoFunctions } from '../fixtures/echo.js';

const prefix = process.env.FIXTURE_PREFIX;
const fn = process.env.FIXTURE_FN ?? 'echo';
if (!prefix) throw new Error('FIXTURE_PREFIX is required');
if (fn !== 'echo' && fn !== 'count') throw new Error(`FIXTURE_FN must be echo or count, got ${fn}`);
const fns = echoFunctions(echoContracts(prefix));
await (fn === 'echo' ? runFunction(fns.echo) : runFunction(fns.count));
