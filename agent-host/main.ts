// Entry of the agent host (`node dist/agent-host.js`, `tsx agent-host/main.ts`): the LiveKit worker in room mode.
// The same module is the agent module agents-js imports in every job process (its default export), so the
// source and the single bundle each serve both roles; the host starts only outside a job process.
import { fileURLToPath } from 'node:url';
import agent from './room/agent.js';
import { isJobProcess } from './room/process-role.js';

export default agent;

if (!isJobProcess()) {
  const { runAgentHost } = await import('./room/host.js');
  await runAgentHost({ agentModule: fileURLToPath(import.meta.url) });
}
