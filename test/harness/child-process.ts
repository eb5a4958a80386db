/** Ending a test server's process: SIGKILL (survival tests), or SIGTERM with a grace period, then SIGKILL. */
import type { ChildProcess } from 'node:child_process';

const running = (proc: ChildProcess | null): proc is ChildProcess => !!proc && proc.exitCode === null && proc.signalCode === null;

/** SIGKILL; resolves once the process is gone. */
export async function killChild(proc: ChildProcess | null): Promise<void> {
  if (!running(proc)) return;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await gone;
}

/** SIGTERM, and SIGKILL if it is still running after `graceMs`; resolves once the process is gone. */
export async function stopChild(proc: ChildProcess | null, graceMs: number): Promise<void> {
  if (!running(proc)) return;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await Promise.race([gone, new Promise((r) => setTimeout(r, graceMs).unref())]);
  await killChild(proc);
}
