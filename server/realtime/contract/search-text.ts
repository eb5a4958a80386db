/**
 * The text rules of search, shared by the server (plain messages in PostgreSQL) and the tab (decrypted OMEMO
 * messages in IndexedDB), so both kinds of result match and highlight the same way. Pure functions, no imports:
 * the client bundles this file (it is the one non-type import from the contract folder).
 *
 * A query is up to MAX_TERMS words; a message matches when its text contains every word, case-insensitively
 * (substring, so a word's start is enough: "meet" finds "meeting"). A snippet is a window of the text around the
 * first hit, with the hits as [start, end) ranges into the snippet: rendered as text, never as HTML.
 */

export const MAX_TERMS = 8;
export const MAX_TERM_CHARS = 64;
export const MAX_QUERY_CHARS = 200;
export const SNIPPET_CHARS = 160;

/** Lower-cased, distinct words of a query, longest first (a longer word is the better index probe); [] = nothing to search. */
export function searchTerms(query: string): string[] {
  const words = query.slice(0, MAX_QUERY_CHARS).toLocaleLowerCase('en').split(/\s+/u).filter((w) => w.length > 0);
  const distinct = [...new Set(words.map((w) => cutTerm(w)))];
  // A word that is part of another adds nothing ("meet meeting" = "meeting").
  const kept = distinct.filter((w) => !distinct.some((o) => o !== w && o.includes(w)));
  return kept.sort((a, b) => b.length - a.length).slice(0, MAX_TERMS);
}

function cutTerm(word: string): string {
  const chars = Array.from(word);
  return chars.length > MAX_TERM_CHARS ? chars.slice(0, MAX_TERM_CHARS).join('') : word;
}

/**
 * Where the terms occur in `text`: sorted, merged [start, end) ranges in UTF-16 units. Lower-casing is done per
 * character so that offsets stay those of the original text (a few characters change length when lower-cased).
 */
export function matchRanges(text: string, terms: readonly string[]): [number, number][] {
  if (terms.length === 0) return [];
  const { folded, origin } = fold(text);
  const ranges: [number, number][] = [];
  for (const term of terms) {
    let from = 0;
    for (;;) {
      const at = folded.indexOf(term, from);
      if (at < 0) break;
      ranges.push([origin[at]!, origin[at + term.length - 1]! + 1]);
      from = at + term.length;
    }
  }
  return merge(ranges);
}

/** Whether `text` contains every term (the rule the server's ILIKE applies). */
export function matchesAll(text: string, terms: readonly string[]): boolean {
  if (terms.length === 0) return false;
  const { folded } = fold(text);
  return terms.every((t) => folded.includes(t));
}

export interface Snippet {
  text: string;
  /** [start, end) into `text`, sorted, not overlapping. */
  ranges: [number, number][];
  /** Text was cut before / after the window. */
  cutStart: boolean;
  cutEnd: boolean;
}

/**
 * A window of at most `max` characters of `text` starting a little before the first hit, never splitting a
 * surrogate pair; hits outside the window are dropped and those crossing its edge are clipped.
 */
export function snippet(text: string, terms: readonly string[], max = SNIPPET_CHARS): Snippet {
  const all = matchRanges(text, terms);
  const first = all[0]?.[0] ?? 0;
  let start = Math.max(0, first - Math.floor(max / 4));
  if (text.length - start < max) start = Math.max(0, text.length - max);
  let end = Math.min(text.length, start + max);
  if (isLowSurrogate(text.charCodeAt(start))) start++;
  if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end--;
  const ranges: [number, number][] = [];
  for (const [s, e] of all) {
    const cs = Math.max(s, start);
    const ce = Math.min(e, end);
    if (cs < ce) ranges.push([cs - start, ce - start]);
  }
  return { text: text.slice(start, end), ranges, cutStart: start > 0, cutEnd: end < text.length };
}

/** Splits a snippet into runs for rendering: each run is plain or a hit. */
export function snippetRuns(s: Pick<Snippet, 'text' | 'ranges'>): { text: string; hit: boolean }[] {
  const runs: { text: string; hit: boolean }[] = [];
  let at = 0;
  for (const [start, end] of s.ranges) {
    if (start < at || end > s.text.length || start >= end) continue; // a range from the network that makes no sense
    if (start > at) runs.push({ text: s.text.slice(at, start), hit: false });
    runs.push({ text: s.text.slice(start, end), hit: true });
    at = end;
  }
  if (at < s.text.length) runs.push({ text: s.text.slice(at), hit: false });
  return runs;
}

function fold(text: string): { folded: string; origin: number[] } {
  let folded = '';
  const origin: number[] = [];
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    const lower = ch.toLocaleLowerCase('en');
    for (let k = 0; k < lower.length; k++) origin.push(i + Math.min(k, ch.length - 1));
    folded += lower;
    i += ch.length;
  }
  return { folded, origin };
}

function merge(ranges: [number, number][]): [number, number][] {
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const r of ranges) {
    const last = out.at(-1);
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
