/**
 * What we can do to one occupant: a private message (MUC-PM, a conversation with `room@service/nick`, never the bare
 * JID) and the moderation XEP-0045 allows our role and affiliation (permissions.ts). Kicking, banning and taking
 * rights away ask for a reason first (typed in the menu), which the occupant sees.
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
  /** An action waiting for its reason (typed in the menu, not a native prompt). */
  const [pending, setPending] = useState<OccupantAction | null>(null);
  const [reason, setReason] = useState('');
  const actions = occupantActions({ role: room.role, affiliation: room.affiliation, nick: room.nick }, occupant);
  if (actions.length === 0) return null;

  const perform = (action: Exclude<OccupantAction, 'private-message'>, why: string) => {
    const change = changeOf(action);
    const withReason = why ? { reason: why } : {};
    setBusy(true);
    setError(null);
    const work = 'role' in change
      ? run('roomSetRole', { room: room.jid, nick: occupant.nick, role: change.role, ...withReason })
      : run('roomSetAffiliation', { room: room.jid, jid: occupant.jid!, affiliation: change.affiliation, ...withReason });
    work
      .then(() => setPending(null))
      .catch((err: Error) => setError(t('roomAdmin.failed', { error: err.message })))
      .finally(() => setBusy(false));
  };
  const choose = (action: OccupantAction) => (e: Event) => {
    setError(null);
    if (action === 'private-message') {
      (e.currentTarget as HTMLElement).closest('details')?.removeAttribute('open');
      return navigate({ view: 'chat', peer: `${room.jid}/${occupant.nick}` });
    }
    if (ASKS_REASON.has(action)) {
      setReason('');
      return setPending(action);
    }
    perform(action, '');
  };
  const label = (action: OccupantAction) => t(`roomAdmin.occupant.${action}` as MessageKey);

  return (
    <span class="occupant-actions-wrap">
      <details class="occupant-actions" data-testid="occupant-actions" data-nick={occupant.nick} onToggle={(e) => !(e.currentTarget as HTMLDetailsElement).open && setPending(null)}>
        <summary class="button-quiet" aria-label={t('roomAdmin.occupant.actions', { nick: occupant.nick })} title={t('roomAdmin.occupant.actions', { nick: occupant.nick })}>⋯</summary>
        <div class="occupant-actions-menu">
          {pending && pending !== 'private-message' ? (
            <form class="room-admin-form" data-testid="occupant-reason-form" onSubmit={(e) => {
              e.preventDefault();
              perform(pending, reason.trim().slice(0, 1024));
            }}>
              <label for={`occupant-reason-${occupant.nick}`}>{t('roomAdmin.occupant.reason', { nick: occupant.nick })}</label>
              <input id={`occupant-reason-${occupant.nick}`} type="text" data-testid="occupant-reason" maxLength={1024} value={reason}
                onInput={(e) => setReason((e.currentTarget as HTMLInputElement).value)} />
              <div class="data-form-actions">
                <button type="submit" class="button-danger" data-testid="occupant-reason-confirm" disabled={busy}>{label(pending)}</button>
                <button type="button" class="button-quiet" disabled={busy} onClick={() => setPending(null)}>{t('roomAdmin.cancel')}</button>
              </div>
            </form>
          ) : actions.map((action) => (
            <button key={action} type="button" class="link-button" data-testid={`occupant-${action}`} disabled={busy} onClick={choose(action)}>{label(action)}</button>
          ))}
        </div>
      </details>
      {error ? <p class="form-error" role="alert" data-testid="occupant-action-error">{error}</p> : null}
    </span>
  );
}
