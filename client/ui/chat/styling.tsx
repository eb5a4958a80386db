/**
 * A message body rendered with XEP-0393 styling and links, as Preact elements built from the parsed tree
 * (styling-parse.ts): every piece of the body is a text node, never HTML.
 */
import type { ComponentChildren } from 'preact';
import { useMemo } from 'preact/hooks';
import { parseStyling, type Block, type Span } from './styling-parse.js';
import { isEmojiOnly } from './emoji-only.js';

export function StyledBody({ text }: { text: string }) {
  const blocks = useMemo(() => parseStyling(text), [text]);
  const large = useMemo(() => isEmojiOnly(text), [text]);
  return <span class={large ? 'styled emoji-only' : 'styled'} data-emoji-only={large ? 'true' : undefined}>{renderBlocks(blocks)}</span>;
}

function renderBlocks(blocks: readonly Block[]): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  blocks.forEach((b, i) => {
    if (b.kind === 'pre') out.push(<pre key={i} class="styled-pre"><code>{b.text}</code></pre>);
    else if (b.kind === 'quote') out.push(<blockquote key={i} class="styled-quote">{renderBlocks(b.blocks)}</blockquote>);
    else {
      out.push(...renderSpans(b.spans));
      // A line break between lines; blocks (pre, quote) are on lines of their own already.
      const next = blocks[i + 1];
      if (next && next.kind === 'line') out.push('\n');
    }
  });
  return out;
}

function renderSpans(spans: readonly Span[]): ComponentChildren[] {
  return spans.map((s) => {
    switch (s.kind) {
      case 'text':
        return s.text;
      case 'directive':
        return <span class="styling-directive" aria-hidden="true">{s.text}</span>;
      case 'link':
        return <a href={s.href} target="_blank" rel="noopener noreferrer" dir="auto">{s.text}</a>;
      case 'code':
        return <code>{s.text}</code>;
      case 'strong':
        return <strong>{renderSpans(s.children)}</strong>;
      case 'emphasis':
        return <em>{renderSpans(s.children)}</em>;
      case 'strike':
        return <s>{renderSpans(s.children)}</s>;
    }
  });
}
