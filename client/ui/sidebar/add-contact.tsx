/** The "add contact" form of the sidebar: the address, and once one is typed, a name and groups (both optional). */
import { useState } from 'preact/hooks';
import { useServices } from '../context.js';
import { t } from '../../i18n/index.js';
import { parseGroups } from '../groups.js';

const BARE_JID = /^[^@/\s]+@[^@/\s]+$/;

export function AddContact() {
  const { state, run } = useServices();
  const [value, setValue] = useState('');
  const [name, setName] = useState('');
  const [groups, setGroups] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  const submit = (e: Event): void => {
    e.preventDefault();
    const jid = value.trim().toLowerCase();
    if (!BARE_JID.test(jid)) return setMessage({ text: t('addContact.invalid'), error: true });
    if (jid === state.own.account) return setMessage({ text: t('addContact.self'), error: true });
    setBusy(true);
    setMessage(null);
    const chosenName = name.trim() || null;
    run('addContact', { jid, name: chosenName, groups: parseGroups(groups) })
      .then(() => {
        state.contacts.addPending(jid, chosenName);
        setValue('');
        setName('');
        setGroups('');
        setMessage({ text: t('addContact.added', { jid }), error: false });
      })
      .catch((err: Error) => setMessage({ text: err.message, error: true }))
      .finally(() => setBusy(false));
  };

  const more = value.trim() !== '';
  return (
    <form id="add-contact" class="add-contact" autocomplete="off" onSubmit={submit}>
      <label class="visually-hidden" for="add-contact-jid">{t('addContact.label')}</label>
      <input
        id="add-contact-jid"
        type="text"
        data-testid="add-contact-jid"
        placeholder={t('addContact.placeholder')}
        autocapitalize="none"
        spellcheck={false}
        inputmode="email"
        maxLength={3071}
        value={value}
        onInput={(e) => setValue((e.currentTarget as HTMLInputElement).value)}
      />
      <button type="submit" class="button-primary" data-testid="add-contact-submit" disabled={busy}>{t('addContact.submit')}</button>
      {more ? (
        <>
          <label class="visually-hidden" for="add-contact-name">{t('contact.nameLabel')}</label>
          <input id="add-contact-name" class="add-contact-extra" type="text" data-testid="add-contact-name" placeholder={t('contact.namePlaceholder')}
            maxLength={256} value={name} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
          <label class="visually-hidden" for="add-contact-groups">{t('contact.groupsLabel')}</label>
          <input id="add-contact-groups" class="add-contact-extra" type="text" data-testid="add-contact-groups" placeholder={t('contact.groupsPlaceholder')}
            list="roster-groups" maxLength={4096} value={groups} onInput={(e) => setGroups((e.currentTarget as HTMLInputElement).value)} />
          <GroupOptions />
        </>
      ) : null}
      <p class={`add-contact-message${message?.error ? ' form-error' : ''}`} role="status" hidden={message === null}>{message?.text ?? ''}</p>
    </form>
  );
}

/** Existing group names, offered while typing (the last comma-separated part). */
export function GroupOptions() {
  const { state } = useServices();
  state.contacts.revision.value;
  return (
    <datalist id="roster-groups">
      {state.contacts.groups().map((g) => <option key={g} value={g} />)}
    </datalist>
  );
}
