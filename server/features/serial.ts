/**
 * Runs tasks one at a time, in the order they were given. A task's failure is its caller's and does not stop the next.
 * Used where two commands read-merge-write the same server-side record (our vcard-temp: the profile editor and the
 * avatar both rewrite it whole, so interleaved they would undo each other).
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
