/** Counts the statements sent through a `pg` pool while `fn` runs (their first three words), for tests of batching. */
import type pg from 'pg';

export async function countStatements<T>(pool: pg.Pool, fn: () => Promise<T>): Promise<{ result: T; queries: string[] }> {
  const queries: string[] = [];
  const original = pool.query.bind(pool);
  (pool as { query: unknown }).query = (text: string, ...rest: unknown[]) => {
    queries.push(text.trim().split(/\s+/).slice(0, 3).join(' '));
    return (original as (...a: unknown[]) => unknown)(text, ...rest);
  };
  try {
    return { result: await fn(), queries };
  } finally {
    (pool as { query: unknown }).query = original;
  }
}
