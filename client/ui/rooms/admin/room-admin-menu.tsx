/**
 * The room's administration menu: configure (the room's own data form), invite, the affiliation lists, destroy; each
 * entry only for those the service would let do it (permissions.ts). Every text from the room is set as text.
 */
import { useEffect, useState } from 'preact/hooks';
import type { AffiliationItemDTO, DataFormDTO, RoomDTO } from '../../../../server/realtime/contract.js';
import { useServices } from '../../context.js';
import { t, type MessageKey } from '../../../i18n/index.js';
import { AdminDialog, roomLabel } from './admin-dialog.js';
import { DataForm } from './data-form.js';
import { isBareUserJid } from './jid.js';
import { roomAdminActions } from './permissions.js';

type Panel = 'configure' | 'invite' | 'lists' | 'destroy';
type ListName = 'owner' | 'admin' | 'member' | 'outcast';
const LIST_TEXT: Record<ListName, MessageKey> = {
  owner: 'roomAdmin.lists.owner',
  admin: 'roomAdmin.lists.admin',
  member: 'roomAdmin.lists.member',
  outcast: 'roomAdmin.lists.outcast',
};
/** A hostile or huge room: the lists show this many entries at most. */
const MAX_LIST_SHOWN = 1000;

export function RoomAdminMenu({ room }: { room: RoomDTO }) {
  const allowed = roomAdminActions(room);
  const [panel, setPanel] = useState<Panel | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  if (!allowed.configure && !allowed.destroy && !allowed.invite && allowed.lists.length === 0) return null;
  const open = (p: Panel) => (e: Event) => {
    (e.currentTarget as HTMLElement).closest('details')?.removeAttribute('open');
    setStatus(null);
    setPanel(p);
  };
  const close = () => setPanel(null);
  const done = (text: string) => {
    setPanel(null);
    setStatus(text);
  };
  return (
    <>
      <details class="room-admin-menu" data-testid="room-admin-menu">
        <summary class="button-quiet" aria-label={t('roomAdmin.menu.label')} title={t('roomAdmin.menu.label')}>⚙</summary>
        <div class="room-admin-menu-items">
          {allowed.configure ? <button type="button" class="link-button" data-testid="room-admin-configure" onClick={open('configure')}>{t('roomAdmin.menu.configure')}</button> : null}
          {allowed.invite ? <button type="button" class="link-button" data-testid="room-admin-invite" onClick={open('invite')}>{t('roomAdmin.menu.invite')}</button> : null}
          {allowed.lists.length > 0 ? <button type="button" class="link-button" data-testid="room-admin-lists" onClick={open('lists')}>{t('roomAdmin.menu.lists')}</button> : null}
          {allowed.destroy ? <button type="button" class="link-button" data-testid="room-admin-destroy" onClick={open('destroy')}>{t('roomAdmin.menu.destroy')}</button> : null}
        </div>
      </details>
      <p class="visually-hidden" role="status" data-testid="room-admin-status">{status ?? ''}</p>
      {panel === 'configure' ? <ConfigureDialog room={room} onClose={close} onDone={done} /> : null}
      {panel === 'invite' ? <InviteDialog room={room} onClose={close} onDone={done} /> : null}
      {panel === 'lists' ? <ListsDialog room={room} lists={allowed.lists} onClose={close} /> : null}
      {panel === 'destroy' ? <DestroyDialog room={room} onClose={close} onDone={done} /> : null}
    </>
  );
}

interface PanelProps {
  room: RoomDTO;
  onClose: () => void;
  onDone: (status: string) => void;
}

function ConfigureDialog({ room, onClose, onDone }: PanelProps) {
  const { run } = useServices();
  const [form, setForm] = useState<DataFormDTO | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    run('roomConfig', { room: room.jid })
      .then((r) => live && setForm(r.form))
      .catch((err: Error) => live && setError(t('roomAdmin.failed', { error: err.message })));
    return () => {
      live = false;
    };
  }, [room.jid]);
  return (
    <AdminDialog title={t('roomAdmin.config.title', { room: roomLabel(room) })} testid="room-config-dialog" busy={busy} onClose={onClose}>
      {form ? (
        <DataForm form={form} busy={busy} submitLabel={t('roomAdmin.config.save')} onCancel={onClose} onSubmit={(values) => {
          setBusy(true);
          setError(null);
          run('roomConfigure', { room: room.jid, values })
            .then(() => onDone(t('roomAdmin.config.saved')))
            .catch((err: Error) => {
              setError(t('roomAdmin.failed', { error: err.message }));
              setBusy(false);
            });
        }} />
      ) : error ? null : <p>{t('roomAdmin.loading')}</p>}
      <p class="form-error" role="alert" data-testid="room-config-error" hidden={error === null}>{error ?? ''}</p>
    </AdminDialog>
  );
}

function InviteDialog({ room, onClose, onDone }: PanelProps) {
  const { run } = useServices();
  const [jid, setJid] = useState('');
  const [reason, setReason] = useState('');
  const [mode, setMode] = useState<'direct' | 'mediated'>('direct');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = (e: Event): void => {
    e.preventDefault();
    const to = jid.trim().toLowerCase();
    if (!isBareUserJid(to)) return setError(t('roomAdmin.invite.invalid'));
    setBusy(true);
    setError(null);
    const why = reason.trim() ? reason.trim().slice(0, 1024) : undefined;
    // A direct invitation to a members-only room: the server makes the invitee a member first when we may.
    run('roomInvite', { room: room.jid, jid: to, mode, ...(why ? { reason: why } : {}) })
      .then(() => onDone(t('roomAdmin.invite.sent', { jid: to })))
      .catch((err: Error) => {
        setError(t('roomAdmin.failed', { error: err.message }));
        setBusy(false);
      });
  };
  return (
    <AdminDialog title={t('roomAdmin.invite.title', { room: roomLabel(room) })} testid="room-invite-dialog" busy={busy} onClose={onClose}>
      <form class="room-admin-form" autocomplete="off" noValidate onSubmit={submit}>
        <label for="room-invite-jid">{t('roomAdmin.invite.jid')}</label>
        <input id="room-invite-jid" type="text" data-testid="room-invite-jid" maxLength={3071} autocapitalize="none" spellcheck={false} inputMode="email"
          placeholder={t('roomAdmin.form.jidPlaceholder')} value={jid} onInput={(e) => setJid((e.currentTarget as HTMLInputElement).value)} />
        <label for="room-invite-reason">{t('roomAdmin.invite.reason')}</label>
        <textarea id="room-invite-reason" data-testid="room-invite-reason" rows={2} maxLength={1024} value={reason} onInput={(e) => setReason((e.currentTarget as HTMLTextAreaElement).value)} />
        <fieldset class="room-preset">
          <legend>{t('roomAdmin.invite.mode')}</legend>
          <label class="room-preset-choice">
            <input type="radio" name="room-invite-mode" data-testid="room-invite-direct" checked={mode === 'direct'} onChange={() => setMode('direct')} />
            <span>{t('roomAdmin.invite.direct')}</span>
          </label>
          <label class="room-preset-choice">
            <input type="radio" name="room-invite-mode" data-testid="room-invite-mediated" checked={mode === 'mediated'} onChange={() => setMode('mediated')} />
            <span>{t('roomAdmin.invite.mediated')}</span>
          </label>
        </fieldset>
        <div class="data-form-actions">
          <button type="submit" class="button-primary" data-testid="room-invite-send" disabled={busy}>{t('roomAdmin.invite.send')}</button>
        </div>
        <p class="form-error" role="alert" data-testid="room-invite-error" hidden={error === null}>{error ?? ''}</p>
      </form>
    </AdminDialog>
  );
}

function DestroyDialog({ room, onClose, onDone }: PanelProps) {
  const { run } = useServices();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <AdminDialog title={t('roomAdmin.destroy.title', { room: roomLabel(room) })} testid="room-destroy-dialog" busy={busy} onClose={onClose}>
      <form class="room-admin-form" onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        const why = reason.trim().slice(0, 1024);
        run('roomDestroy', { room: room.jid, ...(why ? { reason: why } : {}) })
          .then(() => onDone(''))
          .catch((err: Error) => {
            setError(t('roomAdmin.failed', { error: err.message }));
            setBusy(false);
          });
      }}>
        <p>{t('roomAdmin.destroy.explain')}</p>
        <label for="room-destroy-reason">{t('roomAdmin.destroy.reason')}</label>
        <textarea id="room-destroy-reason" data-testid="room-destroy-reason" rows={2} maxLength={1024} value={reason} onInput={(e) => setReason((e.currentTarget as HTMLTextAreaElement).value)} />
        <div class="data-form-actions">
          <button type="submit" class="button-danger" data-testid="room-destroy-confirm" disabled={busy}>{t('roomAdmin.destroy.confirm')}</button>
          <button type="button" class="button-quiet" disabled={busy} onClick={onClose}>{t('roomAdmin.cancel')}</button>
        </div>
        <p class="form-error" role="alert" data-testid="room-destroy-error" hidden={error === null}>{error ?? ''}</p>
      </form>
    </AdminDialog>
  );
}

function ListsDialog({ room, lists, onClose }: { room: RoomDTO; lists: ListName[]; onClose: () => void }) {
  const { run } = useServices();
  const [list, setList] = useState<ListName>(lists.includes('member') ? 'member' : lists[0]!);
  const [items, setItems] = useState<AffiliationItemDTO[] | null>(null);
  const [reload, setReload] = useState(0);
  const [adding, setAdding] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setItems(null);
    run('roomAffiliations', { room: room.jid, affiliation: list })
      .then((r) => live && setItems(r.items.slice(0, MAX_LIST_SHOWN)))
      .catch((err: Error) => live && (setItems([]), setError(t('roomAdmin.failed', { error: err.message }))));
    return () => {
      live = false;
    };
  }, [room.jid, list, reload]);
  const change = (jid: string, affiliation: ListName | 'none') => {
    setBusy(true);
    setError(null);
    run('roomSetAffiliation', { room: room.jid, jid, affiliation })
      .then(() => {
        setAdding('');
        setReload((n) => n + 1);
      })
      .catch((err: Error) => setError(t('roomAdmin.failed', { error: err.message })))
      .finally(() => setBusy(false));
  };
  return (
    <AdminDialog title={t('roomAdmin.lists.title', { room: roomLabel(room) })} testid="room-lists-dialog" busy={busy} onClose={onClose}>
      <div class="room-affiliation-tabs" role="group">
        {lists.map((l) => (
          <button key={l} type="button" class="button-quiet" data-testid={`room-list-${l}`} aria-pressed={l === list} onClick={() => setList(l)}>{t(LIST_TEXT[l])}</button>
        ))}
      </div>
      {items === null ? <p>{t('roomAdmin.loading')}</p> : items.length === 0 ? <p data-testid="room-list-empty">{t('roomAdmin.lists.empty')}</p> : (
        <ul class="room-affiliation-list" data-testid="room-list-items">
          {items.map((item) => (
            <li key={item.jid} class="room-affiliation-item" data-testid="room-list-item" data-jid={item.jid}>
              <span><bdi>{item.jid}</bdi>{item.nick ? <> (<bdi>{item.nick}</bdi>)</> : null}</span>
              <button type="button" class="button-quiet" data-testid="room-list-remove" disabled={busy} aria-label={t('roomAdmin.lists.removeLabel', { jid: item.jid })}
                onClick={() => change(item.jid, 'none')}>{t('roomAdmin.lists.remove')}</button>
            </li>
          ))}
        </ul>
      )}
      <form class="room-address" autocomplete="off" noValidate onSubmit={(e) => {
        e.preventDefault();
        const jid = adding.trim().toLowerCase();
        if (!isBareUserJid(jid)) return setError(t('roomAdmin.invite.invalid'));
        change(jid, list);
      }}>
        <input type="text" data-testid="room-list-add-jid" aria-label={t('roomAdmin.lists.addLabel', { list: t(LIST_TEXT[list]) })} maxLength={3071}
          autocapitalize="none" spellcheck={false} placeholder={t('roomAdmin.form.jidPlaceholder')} value={adding} onInput={(e) => setAdding((e.currentTarget as HTMLInputElement).value)} />
        <button type="submit" class="button-primary" data-testid="room-list-add" disabled={busy}>{t('roomAdmin.lists.add')}</button>
      </form>
      <p class="form-error" role="alert" data-testid="room-lists-error" hidden={error === null}>{error ?? ''}</p>
    </AdminDialog>
  );
}
