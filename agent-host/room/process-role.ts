// Which role this process plays: the agent host (the LiveKit worker) or a job process agents-js forked.
//
// agents-js runs every job in a child made with `fork(<@livekit/agents>/ipc/job_proc_lazy_main.js, [agentModule])`;
// that child imports the agent module by path and takes its default export. The host's own entry module
// (agent-host/main.ts, or the bundle dist/agent-host.js) is that agent module, so it must start the host only
// when it is not being imported inside a job process.

const JOB_MAIN = /[\\/]job_proc_lazy_main\.[cm]?[jt]s$/;

/** True inside a job process forked by agents-js (an IPC channel and its job main as the script). */
export function isJobProcess(
  argv: readonly string[] = process.argv,
  hasIpc = typeof process.send === 'function',
): boolean {
  return hasIpc && JOB_MAIN.test(argv[1] ?? '');
}
