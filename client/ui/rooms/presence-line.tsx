/** The compact timeline line of a coalesced join/leave window: "Ann, Bob and 40 others joined · Cy left". */
import type { PresenceLine } from '../../state/rooms.js';
import { t } from '../../i18n/index.js';

/** Named nicks, then how many more were counted (a delta names at most 20 of each kind). */
function part(kind: 'joined' | 'left', p: PresenceLine['joined']): string | null {
  if (p.total <= 0) return null;
  const named = p.nicks.slice(0, 3);
  const more = Math.max(0, p.total - named.length);
  const names = named.join(', ');
  if (named.length === 0) return t(`rooms.presence.${kind}More`, { names: '', count: more }).trim();
  return more > 0 ? t(`rooms.presence.${kind}More`, { names, count: more }) : t(`rooms.presence.${kind}`, { names });
}

export function presenceLineText(line: PresenceLine): string {
  return [part('joined', line.joined), part('left', line.left)].filter((s): s is string => s !== null).join(' · ');
}

export function PresenceLineItem({ line }: { line: PresenceLine }) {
  return (
    <p class="presence-line" data-testid="presence-line" data-joined={String(line.joined.total)} data-left={String(line.left.total)}>
      {presenceLineText(line)}
    </p>
  );
}
