/** One result of the doctor: a name, OK or FAIL, what was found, and for a FAIL what to change. */

export interface CheckResult {
  name: string;
  ok: boolean;
  /** What was found, one line. */
  detail: string;
  /** For a FAIL: one line saying what to change. */
  fix?: string;
}

export const pass = (name: string, detail: string): CheckResult => ({ name, ok: true, detail });
export const fail = (name: string, detail: string, fix: string): CheckResult => ({ name, ok: false, detail, fix });

/** Runs a check; a check that throws is a FAIL that names the error, never a crashed doctor. */
export async function guarded(name: string, run: () => Promise<CheckResult | CheckResult[]>): Promise<CheckResult[]> {
  try {
    const out = await run();
    return Array.isArray(out) ? out : [out];
  } catch (err) {
    return [fail(name, `the check itself failed: ${err instanceof Error ? err.message : String(err)}`, 'see the error above; report it if it makes no sense')];
  }
}

/** Plain text, one line per check (plus an indented "fix:" line for each FAIL). */
export function formatResults(results: CheckResult[]): string {
  const width = Math.max(0, ...results.map((r) => r.name.length));
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.ok ? 'OK  ' : 'FAIL'}  ${r.name.padEnd(width)}  ${r.detail}`);
    if (!r.ok && r.fix) lines.push(`      ${' '.repeat(width)}  fix: ${r.fix}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  lines.push(failed ? `${failed} of ${results.length} checks failed.` : `All ${results.length} checks passed.`);
  return lines.join('\n');
}

/** Resolves with the promise's value, or rejects with `message` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
