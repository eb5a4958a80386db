/**
 * A message body rendered with XEP-0393 styling and links, as Preact elements built from the parsed tree
 * (styling-parse.ts): every piece of the body is a text node, never HTML.
 */
import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { t } from '../../i18n/index.js';
import { parseStyling, type Block, type Span } from './styling-parse.js';
import { isEmojiOnly } from './emoji-only.js';

/**
 * Past this many UTF-16 units a body shows its beginning and a "Show more" button: laying out a 200 KB bubble takes the
 * browser a second, and a contact could send many. The cut never splits a surrogate pair.
 */
export const COLLAPSE_CHARS = 4000;

export function StyledBody({ text }: { text: string }) {
  const [expanded, setExpanded] = useState(false);
  const collapsed = !expanded && text.length > COLLAPSE_CHARS;
  const shown = collapsed ? cut(text, COLLAPSE_CHARS) : text;
  const blocks = useMemo(() => parseStyling(shown), [shown]);
  const large = useMemo(() => isEmojiOnly(text), [text]);
  return (
    <span class={large ? 'styled emoji-only' : 'styled'} data-emoji-only={large ? 'true' : undefined}>
      {renderBlocks(blocks)}
      {collapsed ? (
        <>
          {'…'}
          <button type="button" class="link-button show-more" data-testid="message-show-more" onClick={() => setExpanded(true)}>{t('message.showMore')}</button>
        </>
      ) : null}
    </span>
  );
}

function cut(text: string, max: number): string {
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
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
