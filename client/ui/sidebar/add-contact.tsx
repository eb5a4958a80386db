/** The "add contact" form of the sidebar. */
import { useState } from 'preact/hooks';
import { useServices } from '../context.js';
import { t } from '../../i18n/index.js';

const BARE_JID = /^[^@/\s]+@[^@/\s]+$/;

export function AddContact() {
  const { state, run } = useServices();
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  const submit = (e: Event): void => {
    e.preventDefault();
    const jid = value.trim().toLowerCase();
    if (!BARE_JID.test(jid)) return setMessage({ text: t('addContact.invalid'), error: true });
    if (jid === state.own.account) return setMessage({ text: t('addContact.self'), error: true });
    setBusy(true);
    setMessage(null);
    run('addContact', { jid, name: null })
      .then(() => {
        state.contacts.addPending(jid, null);
        setValue('');
        setMessage({ text: t('addContact.added', { jid }), error: false });
      })
      .catch((err: Error) => setMessage({ text: err.message, error: true }))
      .finally(() => setBusy(false));
  };

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
      <p class={`add-contact-message${message?.error ? ' form-error' : ''}`} role="status" hidden={message === null}>{message?.text ?? ''}</p>
    </form>
  );
}
