/**
 * Editing our own profile (nickname and vCard fields, XEP-0292 with vcard-temp): loaded fresh when the section
 * opens, saved with `setOwnProfile`. A save from another tab replaces the fields unless this one has unsaved edits.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ProfileDTO } from '../../../server/realtime/contract.js';
import { t } from '../../i18n/index.js';
import { useServices } from '../context.js';
import { PROFILE_FIELDS, type FieldKey } from '../profile-fields.js';

type Draft = Record<FieldKey, string>;
const LISTS = new Set<FieldKey>(['emails', 'tels', 'urls']);

/** As the contract (PROFILE_LIMITS): the browser stops typing at the limit; the server refuses more anyway. */
const MAX: Partial<Record<FieldKey, number>> = { note: 4000, urls: 5 * 2049, emails: 5 * 257, tels: 5 * 257 };

function toDraft(profile: ProfileDTO | null): Draft {
  const f = profile?.fields;
  const draft = {} as Draft;
  for (const { key } of PROFILE_FIELDS) {
    const v = f?.[key] ?? null;
    draft[key] = Array.isArray(v) ? v.join('\n') : (v ?? '');
  }
  return draft;
}

/** Lists are one value per line (or comma-separated for addresses and numbers). */
function fromDraft(d: Draft): Record<string, string | string[] | null> {
  const out: Record<string, string | string[] | null> = {};
  for (const { key } of PROFILE_FIELDS) {
    out[key] = LISTS.has(key) ? d[key].split(key === 'urls' ? /\n/ : /[\n,]/).map((s) => s.trim()).filter(Boolean) : d[key].trim() || null;
  }
  return out;
}

export function OwnProfileForm() {
  const { state, run } = useServices();
  state.own.revision.value;
  const account = state.own.account;
  const [draft, setDraft] = useState<Draft | null>(null);
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<{ text: string; error: boolean } | null>(null);

  useEffect(() => {
    if (!account) return;
    let live = true;
    run('profile', { jid: account, fresh: true })
      .then((p) => live && setDraft(toDraft(p)))
      .catch((err: Error) => {
        if (!live) return;
        setDraft(toDraft(null));
        setNote({ text: t('ownProfile.loadFailed', { reason: err.message }), error: true });
      });
    return () => {
      live = false;
    };
  }, [account]);
  // Saved in another tab: show it, unless the user is in the middle of their own edit here.
  const saved = state.own.profile;
  useEffect(() => {
    if (saved && !dirty) setDraft(toDraft(saved));
  }, [saved]);

  if (!draft) return <section class="settings-profile" data-testid="settings-profile" aria-busy="true"><h2>{t('ownProfile.heading')}</h2></section>;

  const submit = (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setNote(null);
    run('setOwnProfile', fromDraft(draft) as never)
      .then(() => {
        setDirty(false);
        setNote({ text: t('ownProfile.saved'), error: false });
      })
      .catch((err: Error) => setNote({ text: t('ownProfile.failed', { reason: err.message }), error: true }))
      .finally(() => setBusy(false));
  };
  return (
    <section class="settings-profile" data-testid="settings-profile" aria-labelledby="settings-profile-title">
      <h2 id="settings-profile-title">{t('ownProfile.heading')}</h2>
      <p class="field-hint">{t('ownProfile.hint')}</p>
      <form class="own-profile" autocomplete="off" onSubmit={submit}>
        {PROFILE_FIELDS.map(({ key, label }) => {
          const id = `own-profile-${key}`;
          const common = {
            id,
            'data-testid': id,
            value: draft[key],
            maxLength: MAX[key] ?? 256,
            disabled: busy,
            onInput: (ev: Event) => {
              setDraft({ ...draft, [key]: (ev.currentTarget as HTMLInputElement).value });
              setDirty(true);
            },
          };
          return (
            <div class="own-profile-field" key={key}>
              <label for={id}>{t(label)}</label>
              {key === 'note' || LISTS.has(key) ? <textarea rows={key === 'note' ? 3 : 2} {...common} /> : key === 'bday' ? <input type="date" {...common} /> : <input type="text" {...common} />}
              {LISTS.has(key) ? <span class="field-hint">{t('ownProfile.onePerLine')}</span> : null}
            </div>
          );
        })}
        <button type="submit" class="button-primary" data-testid="own-profile-save" disabled={busy}>{t('ownProfile.save')}</button>
        <p class={note?.error ? 'form-error' : 'field-hint'} role="status" data-testid="own-profile-status" hidden={note === null}>{note?.text ?? ''}</p>
      </form>
    </section>
  );
}
