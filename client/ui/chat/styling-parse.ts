/**
 * XEP-0393 Message Styling, parsed into a small tree (no DOM, no HTML): the view turns it into Preact elements.
 *
 * Blocks (§5.1): plain lines, preformatted blocks (a line starting with ``` up to a line that is just ```, or the end
 * of the enclosing block) and quotations (lines starting with '>', their content parsed again as blocks, so quotes
 * nest). Spans (§5.2), within one line: *strong*, _emphasis_, ~strike~ and `pre` (nothing styled inside). "The opening
 * styling directive MUST be located at the beginning of the line, after a whitespace character, or after a different
 * opening styling directive. The opening styling directive MUST NOT be followed by a whitespace character and the
 * closing styling directive MUST NOT be preceded by a whitespace character." Empty spans are plain text. Directives
 * stay visible (the XEP says they SHOULD be displayed), marked so CSS can dim them.
 *
 * Links (http, https, xmpp) are found first, per line, and nothing inside one is a directive: `https://a.example/x_y_z`
 * stays one link.
 *
 * Cost is linear in the body: the next valid closing directive of each kind is precomputed right to left, so an
 * opening directive finds its match in O(1) however many unmatched markers follow; spans nest at most four deep (one
 * per kind) and quotes at most MAX_QUOTE_DEPTH deep (deeper '>' are text).
 */

export type Span =
  | { kind: 'text'; text: string }
  | { kind: 'link'; href: string; text: string }
  | { kind: 'directive'; text: string }
  | { kind: 'strong' | 'emphasis' | 'strike'; children: Span[] }
  | { kind: 'code'; text: string };

export type Block =
  | { kind: 'line'; spans: Span[] }
  | { kind: 'pre'; text: string }
  | { kind: 'quote'; blocks: Block[] };

export const MAX_QUOTE_DEPTH = 8;

const SPAN_KIND = { '*': 'strong', _: 'emphasis', '~': 'strike', '`': 'code' } as const;
type Directive = keyof typeof SPAN_KIND;
const DIRECTIVES = Object.keys(SPAN_KIND) as Directive[];

/** Parses a whole message body. */
export function parseStyling(body: string): Block[] {
  return parseBlocks(body.split('\n'), 0);
}

function parseBlocks(lines: readonly string[], depth: number): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith('```')) {
      // The opening line's rest is a hint (e.g. a language) and not shown; the block ends at a line of just ```.
      let end = i + 1;
      while (end < lines.length && lines[end]!.trimEnd() !== '```') end++;
      blocks.push({ kind: 'pre', text: lines.slice(i + 1, end).join('\n') });
      i = end + 1;
    } else if (line.startsWith('>') && depth < MAX_QUOTE_DEPTH) {
      const inner: string[] = [];
      while (i < lines.length && lines[i]!.startsWith('>')) inner.push(stripQuoteMarker(lines[i++]!));
      blocks.push({ kind: 'quote', blocks: parseBlocks(inner, depth + 1) });
    } else {
      blocks.push({ kind: 'line', spans: parseSpans(line) });
      i++;
    }
  }
  return blocks;
}

/** '> text' and '>text' are the same quote; a nested '>> x' keeps its second marker for the next level. */
function stripQuoteMarker(line: string): string {
  return line[1] === ' ' ? line.slice(2) : line.slice(1);
}

const LINK = /(?:https?:\/\/|xmpp:)[^\s<>"]+/giu;
/** Punctuation (and styling directives: `*https://a.example*`) that ends a sentence rather than the link. */
const TRAILING = /[.,;:!?'"*_~`]+$/u;

/** Links of a line as [start, end) ranges, trailing punctuation and an unbalanced closing parenthesis left out. */
export function findLinks(line: string): Array<{ start: number; end: number; href: string }> {
  const out: Array<{ start: number; end: number; href: string }> = [];
  for (const m of line.matchAll(LINK)) {
    let text = m[0];
    for (;;) {
      const trimmed = text.replace(TRAILING, '');
      const unbalanced = trimmed.endsWith(')') && count(trimmed, '(') < count(trimmed, ')');
      const next = unbalanced ? trimmed.slice(0, -1) : trimmed;
      if (next === text) break;
      text = next;
    }
    const href = safeHref(text);
    if (href) out.push({ start: m.index!, end: m.index! + text.length, href });
  }
  return out;
}

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

/** Only http(s) and xmpp links, as the URL parser reads them (never javascript:, data: or anything else). */
export function safeHref(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return url.host ? url.href : null;
  if (url.protocol === 'xmpp:') return text.length > 'xmpp:'.length ? url.href : null;
  return null;
}

const WHITESPACE = /\s/u;

/** Parses the spans of one line. */
export function parseSpans(line: string): Span[] {
  if (line === '') return [];
  const n = line.length;
  const space = new Uint8Array(n);
  for (let j = 0; j < n; j++) space[j] = WHITESPACE.test(line[j]!) ? 1 : 0;
  const links = findLinks(line);
  // linkAt[i]: index of the link covering position i, else -1.
  const linkAt = new Int32Array(n).fill(-1);
  links.forEach((l, k) => linkAt.fill(k, l.start, l.end));
  // nextClose[d][i]: the smallest j >= i where directive d can close (not after whitespace, not in a link), else -1.
  const nextClose = {} as Record<Directive, Int32Array>;
  for (const d of DIRECTIVES) {
    const arr = new Int32Array(n + 1);
    arr[n] = -1;
    for (let j = n - 1; j >= 0; j--) arr[j] = line[j] === d && j > 0 && !space[j - 1] && linkAt[j] === -1 ? j : arr[j + 1]!;
    nextClose[d] = arr;
  }
  return new SpanParser(line, space, links, linkAt, nextClose).spans(0, n, new Set());
}

class SpanParser {
  constructor(
    private readonly line: string,
    private readonly space: Uint8Array,
    private readonly links: ReadonlyArray<{ start: number; end: number; href: string }>,
    private readonly linkAt: Int32Array,
    private readonly nextClose: Record<Directive, Int32Array>,
  ) {}

  spans(from: number, to: number, open: ReadonlySet<Directive>): Span[] {
    const { line } = this;
    const out: Span[] = [];
    let textStart = from;
    const flush = (i: number): void => {
      if (i > textStart) out.push({ kind: 'text', text: line.slice(textStart, i) });
    };
    let i = from;
    while (i < to) {
      const k = this.linkAt[i]!;
      if (k !== -1) {
        flush(i);
        const end = Math.min(this.links[k]!.end, to);
        out.push({ kind: 'link', href: this.links[k]!.href, text: line.slice(i, end) });
        i = textStart = end;
        continue;
      }
      const ch = line[i]!;
      if (ch in SPAN_KIND && !open.has(ch as Directive) && this.canOpen(i, from)) {
        const d = ch as Directive;
        const close = i + 2 < to ? this.nextClose[d][i + 2]! : -1;
        if (close !== -1 && close < to) {
          flush(i);
          out.push({ kind: 'directive', text: d });
          if (d === '`') out.push({ kind: 'code', text: line.slice(i + 1, close) });
          else out.push({ kind: SPAN_KIND[d] as 'strong' | 'emphasis' | 'strike', children: this.spans(i + 1, close, new Set(open).add(d)) });
          out.push({ kind: 'directive', text: d });
          i = textStart = close + 1;
          continue;
        }
      }
      i++;
    }
    flush(to);
    return out;
  }

  /** An opening directive: at the start (of the line or of the enclosing span) or after whitespace; not before whitespace. */
  private canOpen(i: number, from: number): boolean {
    if (i + 1 >= this.line.length || this.space[i + 1]) return false;
    return i === from || this.space[i - 1] === 1;
  }
}
