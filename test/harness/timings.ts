/** Named durations a test prints at the end (how long each step took on this machine): diagnostics, not assertions. */
export function stepTimer(): { timings: Record<string, number>; timed: <T>(label: string, fn: () => Promise<T>) => Promise<T> } {
  const timings: Record<string, number> = {};
  const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[label] = Math.round(performance.now() - t0);
    }
  };
  return { timings, timed };
}
