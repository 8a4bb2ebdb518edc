// Set-up steps with their own deadlines, timed on stderr (web and voice suites).
/**
 * One set-up step with its own deadline, timed on stderr: when a suite's hook runs out of time on a loaded
 * machine, the log says which step was slow (or stuck) instead of only "hook timed out".
 */
export async function step<T>(label: string, deadlineMs: number, work: Promise<T>): Promise<T> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: not done after ${deadlineMs} ms`)), deadlineMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    console.warn(`[test set-up] ${label}: ${Math.round(performance.now() - started)} ms`);
  }
}
