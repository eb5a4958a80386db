/**
 * Pending invitations to rooms (XEP-0249 direct, XEP-0045 mediated), to join (with a nickname) or decline. Those from
 * people in the roster are listed one by one (the first few); those from strangers sit behind one collapsed line, so
 * a flood of them (rate-limited on the server as well) never pushes the conversations out of the sidebar.
 * Inviter, room and reason are network text: set as text.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { InvitationDTO } from '../../../../server/realtime/contract.js';
import { useServices } from '../../context.js';
import { navigate } from '../../../app/route.js';
import { t } from '../../../i18n/index.js';

/** Shown one by one at most; the rest are counted. */
const SHOWN = 5;
const SHOWN_STRANGERS = 20;

export function InvitationsList({ invitations }: { invitations: readonly InvitationDTO[] }) {
  const [error, setError] = useState<string | null>(null);
  if (invitations.length === 0) return null;
  const known = invitations.filter((i) => !i.stranger);
  const strangers = invitations.filter((i) => i.stranger);
  return (
    <section class="room-invitations" data-testid="room-invitations" aria-labelledby="room-invitations-heading">
      <h2 id="room-invitations-heading">{t('roomAdmin.invitations.heading', { count: invitations.length })}</h2>
      {known.length > 0 ? (
        <ul class="room-invitation-list">
          {known.slice(0, SHOWN).map((i) => <Invitation key={i.id} invitation={i} onError={setError} />)}
        </ul>
      ) : null}
      {known.length > SHOWN ? <p class="field-hint">{t('requests.more', { count: known.length - SHOWN })}</p> : null}
      {strangers.length > 0 ? (
        <details class="room-invitations-strangers" data-testid="room-invitations-strangers">
          <summary>{t('roomAdmin.invitations.strangers', { count: strangers.length })}</summary>
          <ul class="room-invitation-list">
            {strangers.slice(0, SHOWN_STRANGERS).map((i) => <Invitation key={i.id} invitation={i} onError={setError} />)}
          </ul>
          {strangers.length > SHOWN_STRANGERS ? <p class="field-hint">{t('requests.more', { count: strangers.length - SHOWN_STRANGERS })}</p> : null}
          <DeclineAll invitations={strangers} onError={setError} />
        </details>
      ) : null}
      <p class="form-error" role="alert" hidden={error === null}>{error ?? ''}</p>
    </section>
  );
}

function DeclineAll({ invitations, onError }: { invitations: InvitationDTO[]; onError: (text: string | null) => void }) {
  const { run } = useServices();
  const [busy, setBusy] = useState(false);
  return (
    <button type="button" class="button-quiet" data-testid="room-invitations-decline-all" disabled={busy} onClick={() => {
      setBusy(true);
      Promise.all(invitations.map((i) => run('invitationAnswer', { id: i.id, accept: false })))
        .then(() => onError(null))
        .catch((err: Error) => onError(t('roomAdmin.failed', { error: err.message })))
        .finally(() => setBusy(false));
    }}>{t('roomAdmin.invitations.declineAll')}</button>
  );
}

function Invitation({ invitation, onError }: { invitation: InvitationDTO; onError: (text: string | null) => void }) {
  const { state, run } = useServices();
  const [asking, setAsking] = useState(false);
  const [nick, setNick] = useState(() => state.own.account.split('@')[0] ?? '');
  const [busy, setBusy] = useState(false);
  const answer = (accept: boolean) => {
    setBusy(true);
    onError(null);
    const chosen = nick.trim().slice(0, 256);
    run('invitationAnswer', { id: invitation.id, accept, ...(accept && chosen ? { nick: chosen } : {}) })
      .then((r) => {
        if (accept && r.room) navigate({ view: 'chat', peer: r.room.jid });
      })
      .catch((err: Error) => {
        onError(t('roomAdmin.failed', { error: err.message }));
        setBusy(false);
      });
  };
  const nickField = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (asking) nickField.current?.focus();
  }, [asking]);
  const nickId = `invitation-nick-${invitation.id}`;
  return (
    <li class="room-invitation" data-testid="room-invitation" data-room={invitation.room} data-kind={invitation.kind}>
      <p class="room-invitation-text">{t('roomAdmin.invitations.from', { from: invitation.from, room: invitation.room })}</p>
      {invitation.reason ? <p class="room-invitation-reason" data-testid="room-invitation-reason">{invitation.reason}</p> : null}
      {invitation.hasPassword ? <p class="field-hint">{t('roomAdmin.invitations.password')}</p> : null}
      <form class="room-invitation-actions" autocomplete="off" onSubmit={(e) => {
        e.preventDefault();
        if (!asking) setAsking(true);
        else answer(true);
      }}>
        {asking ? (
          <>
            <label class="visually-hidden" for={nickId}>{t('roomAdmin.invitations.nick', { room: invitation.room })}</label>
            <input id={nickId} type="text" data-testid="room-invitation-nick" maxLength={256} value={nick} ref={nickField}
              onInput={(e) => setNick((e.currentTarget as HTMLInputElement).value)} />
          </>
        ) : null}
        <button type="submit" class="button-primary" data-testid="room-invitation-accept" disabled={busy}>{t('roomAdmin.invitations.accept')}</button>
        <button type="button" class="button-quiet" data-testid="room-invitation-decline" disabled={busy} onClick={() => answer(false)}>{t('roomAdmin.invitations.decline')}</button>
      </form>
    </li>
  );
}
