/**
 * "New group chat": a native <dialog> with Conversations' two presets. A private group is members-only, non-anonymous
 * and persistent (so OMEMO works) and invites its members by address; a channel is public, open and semi-anonymous.
 * The address is derived from the name on the account's MUC service (roomServices) until the user edits it.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useServices } from '../../context.js';
import { navigate } from '../../../app/route.js';
import { t, type MessageKey } from '../../../i18n/index.js';
import { checkCreate, localPartFromName, type CreateProblem, type Preset } from './create-model.js';

const PROBLEM_TEXT: Record<CreateProblem, MessageKey> = {
  address: 'roomAdmin.create.errorAddress',
  service: 'roomAdmin.create.errorService',
  member: 'roomAdmin.create.errorMember',
  'too-many-members': 'roomAdmin.create.errorTooManyMembers',
  nick: 'roomAdmin.create.errorNick',
};

export function CreateRoomButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" class="button-quiet create-room-button" data-testid="create-room-open" onClick={() => setOpen(true)}>{t('roomAdmin.create.open')}</button>
      {open ? <CreateRoomDialog onClose={() => setOpen(false)} /> : null}
    </>
  );
}

export function CreateRoomDialog({ onClose }: { onClose: () => void }) {
  const { state, run } = useServices();
  const dialog = useRef<HTMLDialogElement>(null);
  const [preset, setPreset] = useState<Preset>('group');
  const [name, setName] = useState('');
  const [localPart, setLocalPart] = useState('');
  const [addressEdited, setAddressEdited] = useState(false);
  const [services, setServices] = useState<string[] | null>(null);
  const [service, setService] = useState('');
  const [nick, setNick] = useState('');
  const [members, setMembers] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
    let live = true;
    run('roomServices', {})
      .then(({ services: found }) => {
        if (!live) return;
        const list = found.slice(0, 20);
        setServices(list);
        setService((s) => s || list[0] || '');
      })
      .catch((err: Error) => live && (setServices([]), setError(t('roomAdmin.create.noServices', { error: err.message }))));
    return () => {
      live = false;
      d?.close();
    };
  }, []);

  const shownLocal = addressEdited ? localPart : localPartFromName(name);
  const submit = (e: Event): void => {
    e.preventDefault();
    const check = checkCreate({ preset, name, localPart: shownLocal, service, nick, members, own: state.own.account });
    if (!check.ok) return setError(t(PROBLEM_TEXT[check.problem], { detail: check.detail ?? '' }));
    setBusy(true);
    setError(null);
    run('roomCreate', check.payload)
      .then(({ room }) => {
        onClose();
        navigate({ view: 'chat', peer: room.jid });
      })
      .catch((err: Error) => {
        setError(t('roomAdmin.create.failed', { error: err.message }));
        setBusy(false);
      });
  };

  return (
    <dialog ref={dialog} class="security-dialog room-admin-dialog" data-testid="create-room-dialog" aria-labelledby="create-room-title"
      onClose={onClose} onCancel={(e) => busy && e.preventDefault()}>
      <form class="room-admin-form" autocomplete="off" noValidate onSubmit={submit}>
        <header class="security-header">
          <h2 id="create-room-title">{t('roomAdmin.create.title')}</h2>
          <button type="button" class="button-quiet" data-testid="create-room-close" disabled={busy} onClick={onClose}>{t('common.close')}</button>
        </header>
        <fieldset class="room-preset">
          <legend>{t('roomAdmin.create.kind')}</legend>
          <label class="room-preset-choice">
            <input type="radio" name="room-preset" value="group" data-testid="create-room-preset-group" checked={preset === 'group'} onChange={() => setPreset('group')} />
            <span><strong>{t('roomAdmin.create.group')}</strong><span class="field-hint">{t('roomAdmin.create.groupHint')}</span></span>
          </label>
          <label class="room-preset-choice">
            <input type="radio" name="room-preset" value="channel" data-testid="create-room-preset-channel" checked={preset === 'channel'} onChange={() => setPreset('channel')} />
            <span><strong>{t('roomAdmin.create.channel')}</strong><span class="field-hint">{t('roomAdmin.create.channelHint')}</span></span>
          </label>
        </fieldset>
        <label for="create-room-name">{t('roomAdmin.create.name')}</label>
        <input id="create-room-name" type="text" data-testid="create-room-name" maxLength={200} value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
        <label for="create-room-local">{t('roomAdmin.create.address')}</label>
        <div class="room-address">
          <input id="create-room-local" type="text" data-testid="create-room-local" maxLength={64} autocapitalize="none" spellcheck={false} value={shownLocal}
            onInput={(e) => {
              setAddressEdited(true);
              setLocalPart((e.currentTarget as HTMLInputElement).value);
            }} />
          <span aria-hidden="true">@</span>
          {services && services.length > 1 ? (
            <select data-testid="create-room-service" aria-label={t('roomAdmin.create.service')} value={service} onChange={(e) => setService((e.currentTarget as HTMLSelectElement).value)}>
              {services.map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          ) : (
            <input type="text" data-testid="create-room-service" aria-label={t('roomAdmin.create.service')} maxLength={1023} autocapitalize="none" spellcheck={false}
              placeholder={services === null ? t('roomAdmin.loading') : ''} value={service} onInput={(e) => setService((e.currentTarget as HTMLInputElement).value)} />
          )}
        </div>
        <label for="create-room-nick">{t('roomAdmin.create.nick')}</label>
        <input id="create-room-nick" type="text" data-testid="create-room-nick" maxLength={256} placeholder={state.own.account.split('@')[0] ?? ''} value={nick}
          onInput={(e) => setNick((e.currentTarget as HTMLInputElement).value)} />
        {preset === 'group' ? (
          <>
            <label for="create-room-members">{t('roomAdmin.create.members')}</label>
            <textarea id="create-room-members" data-testid="create-room-members" rows={3} spellcheck={false} placeholder={t('roomAdmin.form.jidsPlaceholder')}
              value={members} onInput={(e) => setMembers((e.currentTarget as HTMLTextAreaElement).value)} />
            <p class="field-hint">{t('roomAdmin.create.membersHint')}</p>
          </>
        ) : null}
        <div class="data-form-actions">
          <button type="submit" class="button-primary" data-testid="create-room-submit" disabled={busy || services === null}>{busy ? t('roomAdmin.create.creating') : t('roomAdmin.create.submit')}</button>
        </div>
        <p class="form-error" role="alert" data-testid="create-room-error" hidden={error === null}>{error ?? ''}</p>
      </form>
    </dialog>
  );
}
