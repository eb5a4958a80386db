/**
 * The profile panel of the open conversation: the header's button opens it, and it shows the contact's vCard fields
 * as text. Websites become links only for http/https.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { signal } from '@preact/signals';
import type { ProfileDTO } from '../../../server/realtime/contract.js';
import { useServices } from '../context.js';
import { PROFILE_FIELDS, fieldValues, safeWebUrl, stateText, type FieldKey } from '../profile-fields.js';
import { t } from '../../i18n/index.js';
import { ContactEditor } from './contact-editor.js';
import { BlockToggle } from './block-button.js';
import { Avatar } from '../avatar.js';

/** Whether the profile panel is open: it stays open, following the conversation, until closed. */
export const profileOpen = signal(false);

type Shown = { kind: 'loading' } | { kind: 'error'; text: string } | { kind: 'profile'; profile: ProfileDTO };

export function ProfileButton({ open, onToggle }: { open: boolean; onToggle: () => void }) {
  return (
    <button type="button" class="button-quiet profile-open" data-testid="profile-open" aria-expanded={open ? 'true' : 'false'} aria-controls="profile-panel" onClick={onToggle}>
      {t('profile.open')}
    </button>
  );
}

export function ProfilePanel({ peer, onClose }: { peer: string; onClose: () => void }) {
  const { run, state } = useServices();
  const [shown, setShown] = useState<Shown>({ kind: 'loading' });
  const [request, setRequest] = useState({ fresh: false, n: 0 });
  const panel = useRef<HTMLElement>(null);

  // Focus moves into the panel when it opens, unless it is already there (a field the user has started typing in).
  useEffect(() => {
    if (!panel.current?.contains(document.activeElement)) panel.current?.focus();
  }, []);
  useEffect(() => {
    // Only the newest request may render: an older answer for another contact is dropped.
    let live = true;
    setShown({ kind: 'loading' });
    run('profile', { jid: peer, fresh: request.fresh })
      .then((profile) => live && setShown({ kind: 'profile', profile }))
      .catch((err: Error) => live && setShown({ kind: 'error', text: t('profile.loadError', { error: err.message }) }));
    return () => {
      live = false;
    };
  }, [peer, request]);

  const profile = shown.kind === 'profile' ? shown.profile : null;
  const status = shown.kind === 'loading' ? t('profile.loading') : shown.kind === 'error' ? shown.text : stateText(shown.profile.state);
  return (
    <aside
      ref={panel}
      id="profile-panel"
      class="profile-panel"
      data-testid="profile-panel"
      aria-labelledby="profile-heading"
      tabIndex={-1}
      data-state={shown.kind === 'error' ? 'error' : profile?.state}
      data-loaded={profile?.jid}
      aria-busy={shown.kind === 'loading' ? 'true' : undefined}
      onKeyDown={(e) => e.key === 'Escape' && onClose()}
    >
      <div class="profile-bar">
        <h2 id="profile-heading" class="profile-heading">{t('profile.heading')}</h2>
        <button type="button" class="button-quiet" data-testid="profile-refresh" onClick={() => {
          // Loading shows at once (not after the effect runs): nothing may look loaded before the fresh answer.
          setShown({ kind: 'loading' });
          setRequest((r) => ({ fresh: true, n: r.n + 1 }));
        }}>{t('profile.refresh')}</button>
        <button type="button" class="button-quiet" data-testid="profile-close" aria-label={t('profile.closeLabel')} onClick={onClose}>{t('common.close')}</button>
      </div>
      <div class="profile-avatar"><Avatar jid={peer} name={state.contacts.displayName(peer)} show={null} size="large" /></div>
      <ContactEditor peer={peer} />
      <BlockToggle peer={peer} />
      <p class="profile-state" data-testid="profile-state" role="status" hidden={status === ''}>{status}</p>
      <dl class="profile-fields" data-testid="profile-fields">
        {profile ? PROFILE_FIELDS.flatMap(({ key, label }) => {
          const values = fieldValues(profile, key);
          if (values.length === 0) return [];
          return [<dt key={`${key}-label`}>{t(label)}</dt>, ...values.map((v, i) => <FieldValue key={`${key}-${i}`} field={key} text={v} />)];
        }) : null}
      </dl>
    </aside>
  );
}

function FieldValue({ field, text }: { field: FieldKey; text: string }) {
  const href = field === 'urls' ? safeWebUrl(text) : null;
  return (
    <dd data-testid={`profile-field-${field}`} dir="auto">
      {href ? <a href={href} target="_blank" rel="noopener noreferrer nofollow">{text}</a> : text}
    </dd>
  );
}
