/**
 * What we can do to one occupant: a private message (MUC-PM, a conversation with `room@service/nick`, never the bare
 * JID) and the moderation XEP-0045 allows our role and affiliation (permissions.ts). Kicking, banning and taking
 * rights away ask for a reason first, which the occupant sees.
 */
import { useState } from 'preact/hooks';
import type { OccupantDTO, RoomDTO } from '../../../../server/realtime/contract.js';
import { useServices } from '../../context.js';
import { navigate } from '../../../app/route.js';
import { t, type MessageKey } from '../../../i18n/index.js';
import { changeOf, occupantActions, type OccupantAction } from './permissions.js';

/** These take something away: the occupant is told why, if we give a reason. */
const ASKS_REASON = new Set<OccupantAction>(['kick', 'ban', 'revoke-voice', 'revoke-member', 'revoke-moderator', 'revoke-admin', 'revoke-owner']);

export function OccupantActions({ room, occupant }: { room: RoomDTO; occupant: OccupantDTO }) {
  const { run } = useServices();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const actions = occupantActions({ role: room.role, affiliation: room.affiliation, nick: room.nick }, occupant);
  if (actions.length === 0) return null;

  const act = (action: OccupantAction) => (e: Event) => {
    (e.currentTarget as HTMLElement).closest('details')?.removeAttribute('open');
    setError(null);
    if (action === 'private-message') return navigate({ view: 'chat', peer: `${room.jid}/${occupant.nick}` });
    let reason: string | undefined;
    if (ASKS_REASON.has(action)) {
      const answer = window.prompt(t('roomAdmin.occupant.reason', { nick: occupant.nick }), '');
      if (answer === null) return; // cancelled
      reason = answer.trim().slice(0, 1024) || undefined;
    }
    const change = changeOf(action);
    const why = reason ? { reason } : {};
    setBusy(true);
    const work = 'role' in change
      ? run('roomSetRole', { room: room.jid, nick: occupant.nick, role: change.role, ...why })
      : run('roomSetAffiliation', { room: room.jid, jid: occupant.jid!, affiliation: change.affiliation, ...why });
    work
      .catch((err: Error) => setError(t('roomAdmin.failed', { error: err.message })))
      .finally(() => setBusy(false));
  };

  return (
    <span class="occupant-actions-wrap">
      <details class="occupant-actions" data-testid="occupant-actions" data-nick={occupant.nick}>
        <summary class="button-quiet" aria-label={t('roomAdmin.occupant.actions', { nick: occupant.nick })} title={t('roomAdmin.occupant.actions', { nick: occupant.nick })}>⋯</summary>
        <div class="occupant-actions-menu">
          {actions.map((action) => (
            <button key={action} type="button" class="link-button" data-testid={`occupant-${action}`} disabled={busy} onClick={act(action)}>
              {t(`roomAdmin.occupant.${action}` as MessageKey)}
            </button>
          ))}
        </div>
      </details>
      {error ? <p class="form-error" role="alert" data-testid="occupant-action-error">{error}</p> : null}
    </span>
  );
}
