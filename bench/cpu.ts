/**
 * CPU time (user + system, ms) used by the processes a bench step involves, read from /proc. On a shared machine a
 * wall-clock rate moves with everyone's load; CPU milliseconds per message say which component bounds the rate.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** CPU ms a process has used (utime + stime of /proc/<pid>/stat, in clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU ms this process (the load generator) has used. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * CPU ms of every PostgreSQL backend serving `database` (their titles read "postgres: [<cluster>: ]<user> <database> …";
 * the WAL writer and checkpointer, shared with every database, are left out). Backends
 * that ended since the last reading take their time with them, so keep the pool's connections open across a step.
 */
export function postgresCpuMs(database: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (title.startsWith('postgres: ') && title.split(' ').includes(database)) total += cpuMs(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

/** The database name of a postgres:// URL. */
export const databaseOf = (url: string): string => decodeURIComponent(new URL(url).pathname.slice(1));

/** Named CPU readings taken before and after a step: `delta()` gives each component's CPU ms in between. */
export class CpuMeter<K extends string> {
  private start: Record<K, number>;

  constructor(private readonly sources: Record<K, () => number>) {
    this.start = this.read();
  }

  private read(): Record<K, number> {
    const out = {} as Record<K, number>;
    for (const k of Object.keys(this.sources) as K[]) out[k] = this.sources[k]();
    return out;
  }

  /** CPU ms per component since the last reset (or construction), and resets. */
  delta(): Record<K, number> {
    const now = this.read();
    const out = {} as Record<K, number>;
    // Never below 0: a PostgreSQL backend that ended in between takes its time with it.
    for (const k of Object.keys(now) as K[]) out[k] = Math.max(0, now[k] - this.start[k]);
    this.start = now;
    return out;
  }
}
