/**
 * The contact part of the profile panel: rename, move between groups, remove (RFC 6121 §2.3, §2.5), or add someone
 * who is not in the roster. Changes come back as roster pushes, so every tab (and other clients) shows them.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useServices } from '../context.js';
import { t } from '../../i18n/index.js';
import { formatGroups, parseGroups } from '../groups.js';
import { GroupOptions } from '../sidebar/add-contact.js';

export function ContactEditor({ peer }: { peer: string }) {
  const { state, run } = useServices();
  state.contacts.revision.value;
  const contact = state.contacts.contact(peer);
  const [name, setName] = useState(contact?.name ?? '');
  const [groups, setGroups] = useState(formatGroups(contact?.groups ?? []));
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  // Another tab or client changed the contact: show what the roster now says. Not on mount (the fields start with
  // it), which would undo what was typed between the first render and the effect.
  const rosterSays = `${peer}\n${contact?.name ?? ''}\n${formatGroups(contact?.groups ?? [])}`;
  const synced = useRef(rosterSays);
  useEffect(() => {
    if (synced.current === rosterSays) return;
    synced.current = rosterSays;
    setName(contact?.name ?? '');
    setGroups(formatGroups(contact?.groups ?? []));
  }, [rosterSays]);
  useEffect(() => {
    setConfirmRemove(false);
    setMessage(null);
  }, [peer]);

  const act = (work: Promise<unknown>, done: string) => {
    setBusy(true);
    setMessage(null);
    work
      .then(() => setMessage({ text: done, error: false }))
      .catch((err: Error) => setMessage({ text: err.message, error: true }))
      .finally(() => setBusy(false));
  };

  if (!contact) {
    return (
      <section class="contact-editor" data-testid="contact-editor" data-in-roster="false">
        <button type="button" class="button-primary" data-testid="contact-add" disabled={busy}
          onClick={() => act(run('addContact', { jid: peer, name: null, groups: [] }), t('contact.addedHere'))}>{t('contact.add')}</button>
        <p class={message?.error ? 'form-error' : 'contact-editor-message'} role="status" hidden={message === null}>{message?.text ?? ''}</p>
      </section>
    );
  }
  return (
    <form class="contact-editor" data-testid="contact-editor" data-in-roster="true" autocomplete="off" onSubmit={(e) => {
      e.preventDefault();
      act(run('updateContact', { jid: peer, name: name.trim() || null, groups: parseGroups(groups) }), t('contact.saved'));
    }}>
      <label for="contact-name">{t('contact.nameLabel')}</label>
      <input id="contact-name" type="text" data-testid="contact-name" maxLength={256} placeholder={peer} value={name}
        onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
      <label for="contact-groups">{t('contact.groupsLabel')}</label>
      <input id="contact-groups" type="text" data-testid="contact-groups" list="roster-groups" maxLength={4096}
        placeholder={t('contact.groupsPlaceholder')} value={groups} onInput={(e) => setGroups((e.currentTarget as HTMLInputElement).value)} />
      <GroupOptions />
      <div class="contact-editor-actions">
        <button type="submit" class="button-primary" data-testid="contact-save" disabled={busy}>{t('contact.save')}</button>
        {confirmRemove ? (
          <button type="button" class="button-danger" data-testid="contact-remove-confirm" disabled={busy}
            onClick={() => act(run('removeContact', { jid: peer }), t('contact.removed'))}>{t('contact.removeConfirm')}</button>
        ) : (
          <button type="button" class="button-quiet" data-testid="contact-remove" disabled={busy} onClick={() => setConfirmRemove(true)}>{t('contact.remove')}</button>
        )}
      </div>
      <p class={message?.error ? 'form-error' : 'contact-editor-message'} role="status" hidden={message === null}>{message?.text ?? ''}</p>
    </form>
  );
}
